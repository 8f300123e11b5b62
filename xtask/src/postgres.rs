//! A throwaway PostgreSQL cluster for the tests: `cargo xtask test`
//! starts one before `cargo test --workspace` and hands its URL to the
//! tests in `ONETHING_TEST_POSTGRES` (the PostgreSQL store's tests fail
//! without it, never skip).
//!
//! The server is the distribution's: the binaries under
//! `/usr/lib/postgresql/VERSION/bin` (the newest there), installed with
//! `apt-get install -y postgresql` when missing and running as root
//! (otherwise it stops and says what to install). The cluster is made
//! afresh under `target/postgres-test/` by `initdb` (trust
//! authentication: it listens on 127.0.0.1 only, on a free port, with its
//! socket in its data directory), started with `pg_ctl`, waited for until
//! it accepts connections, and stopped (`pg_ctl stop -m fast`) and
//! removed when the [`Cluster`] is dropped. As root, `initdb` and
//! `pg_ctl` (which refuse to run as root) run as the `postgres` user the
//! package made, through `runuser`.
//!
//! Not for anything but tests: no password, no durability (fsync off).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};

/// The variable the tests read the server's URL from.
pub const ENV: &str = "ONETHING_TEST_POSTGRES";

/// Where the distribution puts each major version's binaries.
const VERSIONS_DIR: &str = "/usr/lib/postgresql";

/// The user the server runs as when xtask runs as root.
const SERVER_USER: &str = "postgres";

/// How long the server may take to start and accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running throwaway cluster, stopped and removed when dropped.
pub struct Cluster {
    /// The server binaries' directory.
    bin: PathBuf,
    /// The directory holding the data directory and the log.
    dir: PathBuf,
    /// Whether the server runs as [`SERVER_USER`] (xtask is root).
    as_server_user: bool,
    /// Whether `pg_ctl start` was run (so stopping is needed).
    started: bool,
    url: String,
}

impl Cluster {
    /// Make and start a fresh cluster for one test run.
    pub fn start(root: &Path) -> Result<Self> {
        let as_server_user = is_root();
        let bin = server_binaries(as_server_user)?;
        if as_server_user {
            let known = Command::new("id").args(["-u", SERVER_USER]).output();
            if !known.is_ok_and(|o| o.status.success()) {
                bail!(
                    "the PostgreSQL binaries are in {}, but there is no `{SERVER_USER}` user to run them as (initdb and pg_ctl refuse root); reinstall the distribution's postgresql package, which makes it",
                    bin.display()
                );
            }
        }
        let dir = run_dir(root, as_server_user)?;
        let mut cluster = Self {
            bin,
            dir,
            as_server_user,
            started: false,
            url: String::new(),
        };
        cluster.init()?;
        // A free port can be taken between finding it and the server
        // binding it: try a few.
        let mut last = None;
        for _ in 0..3 {
            let port = free_port()?;
            match cluster.start_on(port) {
                Ok(()) => {
                    cluster.url = format!("postgres://{SERVER_USER}@127.0.0.1:{port}/postgres");
                    eprintln!(
                        "PostgreSQL for the tests: {} (data in {})",
                        cluster.url,
                        cluster.data().display()
                    );
                    return Ok(cluster);
                }
                Err(e) if cluster.log_tail().contains("already in use") => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("no free port for PostgreSQL")))
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// A server binary, run as the server's user when xtask is root.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_server_user {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// `initdb`: a new cluster, trusting local connections, in the C
    /// locale (fast and the same everywhere).
    fn init(&self) -> Result<()> {
        let mut initdb = self.command("initdb");
        initdb.arg("-D").arg(self.data()).args([
            "-U",
            SERVER_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        checked(&mut initdb, "initdb (making the test cluster)")?;
        Ok(())
    }

    /// Listen on 127.0.0.1:`port` with the socket in the data directory,
    /// start the server and wait until it accepts connections.
    fn start_on(&mut self, port: u16) -> Result<()> {
        let data = self.data();
        let quoted = data.display().to_string().replace('\'', "''");
        // Appended, so a retry's port overrides the one before.
        let settings = format!(
            "\n# cargo xtask test\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{quoted}'\nmax_connections = 200\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        );
        let conf = data.join("postgresql.conf");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut f| f.write_all(settings.as_bytes()))
            .with_context(|| format!("writing {}", conf.display()))?;
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl.arg("-D").arg(&data).arg("-l").arg(self.log()).args([
            "-w",
            "-t",
            &START_TIMEOUT.as_secs().to_string(),
            "start",
        ]);
        self.started = true;
        if let Err(e) = checked(&mut pg_ctl, "pg_ctl start (starting the test cluster)") {
            bail!("{e:#}\nthe server's log ends with:\n{}", self.log_tail());
        }
        // pg_ctl waited for the server to come up; check that it answers
        // on the address the tests use.
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args([
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-U",
                    SERVER_USER,
                ])
                .status();
            if ready.is_ok_and(|s| s.success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the test cluster did not accept connections on 127.0.0.1:{port} within {} s; the server's log ends with:\n{}",
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of the server's log.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log()).unwrap_or_else(|e| format!("(no log: {e})"));
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.started {
            let mut stop = self.command("pg_ctl");
            stop.arg("-D")
                .arg(self.data())
                .args(["-m", "fast", "-w", "stop"]);
            if let Err(e) = checked(&mut stop, "pg_ctl stop (stopping the test cluster)") {
                eprintln!("{e:#}");
            }
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("removing the test cluster {}: {e}", self.dir.display());
        }
    }
}

/// Run a command, its output captured; an error with its output when it
/// fails.
fn checked(cmd: &mut Command, what: &str) -> Result<Output> {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("$ {shown}");
    let out = cmd
        .output()
        .with_context(|| format!("{what}: cannot start {shown}"))?;
    if !out.status.success() {
        bail!(
            "{what}: `{shown}` failed with {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}

/// Whether xtask runs as root.
pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The newest installed major version's binaries directory, if any has
/// both initdb and pg_ctl.
fn find_binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(VERSIONS_DIR)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// The server binaries, installed first when missing and xtask is root.
fn server_binaries(root: bool) -> Result<PathBuf> {
    if let Some(bin) = find_binaries() {
        return Ok(bin);
    }
    if !root {
        bail!(
            "PostgreSQL's server is not installed (no {VERSIONS_DIR}/*/bin/initdb and pg_ctl), and xtask is not root so it cannot install it: install the distribution's server package (Debian and Ubuntu: `sudo apt-get install postgresql`), or run `cargo xtask test` as root, which installs it"
        );
    }
    crate::browser::apt_install(&["postgresql"], "the tests")?;
    find_binaries().with_context(|| {
        format!(
            "the postgresql package is installed, but {VERSIONS_DIR}/*/bin has no initdb and pg_ctl"
        )
    })
}

/// A free loopback port just now.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A new, empty directory for one cluster, which the server's user can
/// write: under `target/postgres-test/` when it can reach it.
///
/// As root, the server runs as `postgres`, which must be able to walk
/// down to the directory; a checkout under a home directory closed to
/// others (`/root` is 0700) is not reachable, and then the cluster goes
/// under the system's temporary directory instead (world-traversable).
fn run_dir(root: &Path, as_server_user: bool) -> Result<PathBuf> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let name = format!("run-{}-{stamp}", std::process::id());
    let base = root.join("target/postgres-test");
    std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
    remove_stale(&base);
    let dir = base.join(&name);
    make_dir(&dir, as_server_user)?;
    if !as_server_user || writable_by_server_user(&dir) {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let fallback = std::env::temp_dir().join(format!("onething-postgres-test-{name}"));
    make_dir(&fallback, as_server_user)?;
    if !writable_by_server_user(&fallback) {
        let _ = std::fs::remove_dir_all(&fallback);
        bail!(
            "the `{SERVER_USER}` user cannot reach {} nor {} to keep the test cluster there",
            dir.display(),
            fallback.display()
        );
    }
    eprintln!(
        "(the `{SERVER_USER}` user cannot reach {}: the test cluster is made in {})",
        base.display(),
        fallback.display()
    );
    Ok(fallback)
}

/// Create `dir`, owned by the server's user when it runs as that user.
fn make_dir(dir: &Path, as_server_user: bool) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if as_server_user {
        checked(
            Command::new("chown")
                .arg(format!("{SERVER_USER}:"))
                .arg(dir),
            "handing the test cluster's directory to the server's user",
        )?;
    }
    Ok(())
}

/// Whether the server's user can reach and write `dir` (every parent
/// traversable), tried as that user.
fn writable_by_server_user(dir: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", SERVER_USER, "--", "test", "-w"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// Remove the clusters of earlier runs that are not running: a run that
/// was interrupted leaves its directory. One with a `postmaster.pid` is
/// running (another `cargo xtask test` in this checkout, perhaps), and
/// one made in the last hour may be about to start: both are left alone.
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(3600)));
        if old && path.is_dir() && !path.join("data/postmaster.pid").exists() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}
