//! The pages in a real browser: headless Chromium driven through
//! chromedriver (fantoccini) against a real `onething serve`.
//!
//! Each page visited is checked with axe-core (no serious or critical
//! violation of WCAG 2.1 A/AA) and photographed at 1280 and 360 px wide
//! into `target/pages-screenshots/` for review. `cargo xtask test`
//! installs Chromium, chromedriver, a CJK font and axe-core; without them
//! these tests fail saying what to install.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onething_testing::fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::{Site, TOKEN, client_with, prepared, repo, submit, wait_for};

/// The mother of the newborn sample.
const MOTHER_ID: &str = "350203199003071527";

/// A chromedriver for one test, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn found(env: &str, candidates: &[&str], what: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "{what} is not installed (looked in {candidates:?}; set {env} to its path): \
                 `cargo xtask test` installs it (as root: apt-get install chromium chromium-driver fonts-wqy-microhei)"
            )
        })
}

fn axe_source() -> String {
    let path = repo().join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: install axe-core with `npm ci` in tests/browser (`cargo xtask test` does)",
            path.display()
        )
    })
}

fn start_driver() -> Driver {
    let bin = found(
        "ONETHING_CHROMEDRIVER",
        &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        "chromedriver",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

/// A browser session: Chinese first, as a person in China's would be.
async fn browser(driver: &Driver) -> Client {
    let chromium = found(
        "ONETHING_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        "Chromium",
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--lang=zh-CN", "--accept-lang=zh-CN,zh"],
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

/// The site served, a chromedriver, a browser session, and the site's
/// address.
async fn open(site: &Site) -> (crate::support::Server, Driver, Client, String) {
    let server = site.start();
    let driver = start_driver();
    let c = browser(&driver).await;
    let base = server.base.clone();
    (server, driver, c, base)
}

/// The site's address as the browser uses it (`localhost`: a secure
/// context, so the Secure session cookie is kept over plain HTTP).
fn web(base: &str, path: &str) -> String {
    format!("{}{path}", base.replace("127.0.0.1", "localhost"))
}

fn shots() -> PathBuf {
    let dir = repo().join("target/pages-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Check the page with axe-core (WCAG 2.1 A and AA): no serious or
/// critical violation. Then photograph it at 1280 and 360 px.
async fn review(c: &Client, name: &str) {
    let axe = axe_source();
    c.execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .expect("load axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))\
               .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
            vec![],
        )
        .await
        .expect("axe.run");
    let serious: Vec<&Value> = found
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(
        serious.is_empty(),
        "{name}: axe-core found serious or critical violations: {serious:#?}"
    );
    let dir = shots();
    for (width, height) in [(1280, 900), (360, 800)] {
        c.set_window_size(width, height).await.expect("resize");
        // Usable at that width: no element reaches past the viewport's
        // right edge (a wide table scrolls inside its own box).
        let wide = c
            .execute(
                "const w = document.documentElement.clientWidth;\
                 const wide = [...document.querySelectorAll('body *')]\
                   .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > w + 1)\
                   .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));\
                 return {by: document.documentElement.scrollWidth - w, wide: wide, scroll: document.documentElement.scrollWidth, client: w, inner: window.innerWidth, body: document.body.scrollWidth};",
                vec![],
            )
            .await
            .expect("measure");
        assert!(
            wide["wide"].as_array().is_some_and(Vec::is_empty),
            "{name} at {width} px has elements past the right edge: {wide}"
        );
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("write screenshot");
    }
    c.set_window_size(1280, 900).await.expect("resize");
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// Wait until `check` holds for the page's source (at most 60 s).
async fn until(c: &Client, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let html = c.source().await.expect("source");
        if check(&html) {
            return html;
        }
        assert!(
            Instant::now() < deadline,
            "waited 60 s for {what}; the page:\n{html}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn fill(c: &Client, key: &str, value: &str) {
    let id = format!("f-{}", key.replace('.', "-"));
    let e = c
        .find(Locator::Id(&id))
        .await
        .unwrap_or_else(|e| panic!("field {key}: {e}"));
    if e.tag_name().await.expect("tag") == "select" {
        e.select_by_value(value).await.expect("select");
    } else if e.attr("type").await.expect("type").as_deref() == Some("date") {
        set_date(c, &id, value).await;
    } else {
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }
}

/// A date input's value, as a date picker would set it (typing into one
/// depends on the browser's locale).
async fn set_date(c: &Client, id: &str, value: &str) {
    c.execute(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];\
         e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(id), json!(value)],
    )
    .await
    .expect("set a date");
}

/// Click what `css` finds (found again if the page's script replaced it
/// in between, as the progress page does on each event).
async fn click(c: &Client, css: &str) {
    let mut tries = 0;
    loop {
        let clicked = match c.find(Locator::Css(css)).await {
            Ok(e) => e.click().await,
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return,
            Err(e) if tries < 20 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("click {css}: {e}"),
        }
    }
}

async fn sign_in_as_applicant(c: &Client, base: &str, id_number: &str, name: &str) {
    c.goto(&web(base, "/login")).await.expect("login page");
    fill_id(c, "a-name", name).await;
    fill_id(c, "a-id", id_number).await;
    // Sent from the keyboard: Enter in the last field.
    c.find(Locator::Id("a-id"))
        .await
        .expect("id field")
        .send_keys("\u{E007}")
        .await
        .expect("Enter");
    until(c, "the start page", |h| h.contains("/bundles/newborn")).await;
}

/// Choose `path` in the file input `id`.
async fn choose_file(c: &Client, id: &str, path: &std::path::Path) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .send_keys(&path.display().to_string())
        .await
        .unwrap_or_else(|e| panic!("choosing {} in #{id}: {e}", path.display()));
}

async fn fill_id(c: &Client, id: &str, value: &str) {
    let e = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

fn sample(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/applications").join(name)).expect("sample"),
    )
    .expect("json")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mother_fills_the_newborn_form_corrects_consents_uploads_submits_and_watches_it_complete()
{
    let site = Site::new();
    let (_server, _driver, c, base) = open(&site).await;

    c.goto(&web(&base, "/")).await.expect("start page");
    review(&c, "start-signed-out").await;
    sign_in_as_applicant(&c, &base, MOTHER_ID, "陈静").await;
    review(&c, "start").await;
    c.goto(&web(&base, "/login")).await.expect("login page");
    review(&c, "login").await;

    c.goto(&web(&base, "/bundles/newborn")).await.expect("form");
    let html = until(&c, "the form", |h| h.contains("one-form")).await;
    assert!(
        html.contains("新生儿姓名"),
        "the form is in Chinese by default"
    );
    // A conditional field is hidden until its condition holds.
    let wage = c
        .find(Locator::Id("wrap-f-mother-employer_average_wage"))
        .await
        .expect("wage");
    assert!(
        !wage.is_displayed().await.expect("displayed"),
        "hidden until insured"
    );
    review(&c, "form").await;

    // Two things typed, one of them wrong; checked: every problem at once.
    let doc = sample("newborn.json");
    fill(
        &c,
        "child.name",
        doc["fields"]["child.name"].as_str().expect("name"),
    )
    .await;
    fill(&c, "mother.id_number", "350203199003071528").await;
    click(&c, "#check").await;
    let html = until(&c, "the notification", |h| h.contains("has-problems")).await;
    let problems = c
        .find_all(Locator::Css("#notification .problems li"))
        .await
        .expect("problems");
    assert!(
        problems.len() >= 10,
        "every problem at once: {}",
        problems.len()
    );
    assert!(html.contains("校验码"), "the bad check digit is named");
    assert!(html.contains("结婚证"), "the missing material is named");
    review(&c, "form-problems").await;

    // Corrected as she types: the live check drops the problem.
    fill(&c, "mother.id_number", MOTHER_ID).await;
    until(&c, "the live check", |h| {
        !h.contains("校验码") && h.contains("has-problems")
    })
    .await;

    // The condition holds: the fields it needs appear.
    click(&c, "input[name='mother.insured'][value='true']").await;
    let wage = c
        .find(Locator::Id("wrap-f-mother-employer_average_wage"))
        .await
        .expect("wage");
    assert!(
        wage.is_displayed().await.expect("displayed"),
        "shown once insured"
    );

    // Prefill, behind the consent dialog naming who supplies what and why.
    click(&c, "#open-consent").await;
    let dialog = c.find(Locator::Id("consent-dialog")).await.expect("dialog");
    assert!(dialog.is_displayed().await.expect("displayed"));
    let said = dialog.text().await.expect("dialog text");
    assert!(
        said.contains("public-security") && said.contains("户主姓名"),
        "{said}"
    );
    review(&c, "consent").await;
    click(&c, "#consent-confirm").await;
    until(&c, "the prefill", |h| {
        h.contains("林志远") && h.contains("prefilled")
    })
    .await;

    // The rest, and the materials (uploaded as they are chosen).
    for (key, value) in doc["fields"].as_object().expect("fields") {
        if key == "household.head_name" || key == "household.address" || key == "mother.insured" {
            continue;
        }
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        fill(&c, key, &text).await;
    }
    for m in doc["materials"].as_array().expect("materials") {
        let code = m["code"].as_str().expect("code");
        let path = repo()
            .join("examples/applications")
            .join(m["path"].as_str().expect("path"));
        choose_file(&c, &format!("m-{code}"), &path).await;
        let stored = format!("m-{code}-stored");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = c
                .find(Locator::Id(&stored))
                .await
                .expect("stored")
                .prop("value")
                .await
                .expect("value")
                .unwrap_or_default();
            if v.starts_with("sha256:") {
                break;
            }
            assert!(Instant::now() < deadline, "{code} was not uploaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    until(&c, "no problem left", |h| h.contains("没有发现问题")).await;

    // Submitted once: the progress page follows every step to the end.
    click(&c, "#submit").await;
    let html = until(&c, "the progress page", |h| h.contains("progress-title")).await;
    assert!(html.contains("health/birth-certificate"), "{html}");
    review(&c, "progress").await;
    let html = until(&c, "every step complete", |h| {
        h.contains("data-final=\"yes\"")
    })
    .await;
    assert!(
        html.contains("status-completed"),
        "the application completed:\n{html}"
    );
    let steps = c
        .find_all(Locator::Css(".steps .step"))
        .await
        .expect("steps");
    for st in &steps {
        let class = st.attr("class").await.expect("class").unwrap_or_default();
        assert!(
            class.contains("step-approved") || class.contains("step-skipped"),
            "every step complete: {class}"
        );
    }
    assert!(steps.len() >= 5, "{} steps", steps.len());
    review(&c, "progress-done").await;

    click(&c, "#see-flows").await;
    let html = until(&c, "the data flows", |h| h.contains("received-title")).await;
    assert!(
        html.contains("health/birth-certificate") && html.contains("child.name"),
        "{html}"
    );
    assert!(
        html.contains("《中华人民共和国母婴保健法》"),
        "each receipt says under which basis"
    );
    review(&c, "data-flows").await;
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_applicant_switches_the_pages_to_english() {
    let site = Site::new();
    let (_server, _driver, c, base) = open(&site).await;
    sign_in_as_applicant(&c, &base, MOTHER_ID, "陈静").await;
    c.goto(&web(&base, "/bundles/newborn")).await.expect("form");
    assert!(text_of(&c, "h1").await.contains("新生儿"));
    // From the keyboard: the first Tab reaches the skip link, and Enter on
    // it moves the focus to the main content.
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys("\u{E004}")
        .await
        .expect("Tab");
    let focused = c
        .execute("return document.activeElement.className;", vec![])
        .await
        .expect("focus");
    assert_eq!(
        focused,
        json!("skip"),
        "the first Tab reaches the skip link"
    );
    click(&c, "#lang-switch").await;
    let html = until(&c, "English", |h| h.contains("<html lang=\"en\"")).await;
    assert!(
        html.contains("Newborn") || html.contains("newborn"),
        "{html}"
    );
    assert!(
        html.contains("Submit") && html.contains("Check"),
        "the pages' own words too"
    );
    click(&c, "#check").await;
    let html = until(&c, "the notification", |h| h.contains("has-problems")).await;
    assert!(
        html.contains("is required"),
        "the problems are in English too:\n{html}"
    );
    review(&c, "form-en").await;
    // And back.
    click(&c, "#lang-switch").await;
    until(&c, "Chinese", |h| h.contains("<html lang=\"zh-CN\"")).await;
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tax_officer_resolves_a_manual_item_and_sees_no_other_departments_fields() {
    let site = Site::new();
    // Tax's system refuses the host's credential: its step fails for good
    // and goes to the manual queue at once.
    std::fs::write(
        site.path().join("secrets/systems/tax.token"),
        "not-the-token\n",
    )
    .expect("spoil the tax credential");
    let server = site.start();
    let business = prepared(&server, "business-startup.json").await;
    let business_id = submit(&server, &business).await;
    wait_for(&server, &business_id, &["manual"]).await;
    let newborn = prepared(&server, "newborn.json").await;
    let newborn_id = submit(&server, &newborn).await;
    wait_for(&server, &newborn_id, &["completed"]).await;

    let driver = start_driver();
    let c = browser(&driver).await;
    let base = server.base.clone();
    c.goto(&web(&base, "/login")).await.expect("login");
    fill_id(&c, "o-name", "王税务").await;
    fill_id(&c, "o-dept", "tax").await;
    click(&c, "#login-officer").await;
    until(&c, "the console", |h| h.contains("tile-queue")).await;
    review(&c, "console-officer").await;

    c.goto(&web(&base, "/console/queue")).await.expect("queue");
    let html = until(&c, "the queue", |h| h.contains(&business_id)).await;
    assert!(html.contains("tax/tax-registration"), "{html}");
    review(&c, "queue").await;
    c.goto(&web(
        &base,
        &format!("/console/queue/{business_id}/tax/tax-registration"),
    ))
    .await
    .expect("resolve page");
    until(&c, "the resolve form", |h| h.contains("resolve-form")).await;
    review(&c, "resolve").await;
    // A rejection without a reason is refused, with the API's words,
    // and nothing changes.
    click(&c, "input[name='decision'][value='reject']").await;
    click(&c, "#resolve-send").await;
    let html = until(&c, "the refusal", |h| h.contains("role=\"alert\"")).await;
    assert!(html.contains("needs a reason"), "{html}");
    assert_eq!(
        crate::support::status(&server, &business_id).await["status"],
        "manual"
    );
    // Approved with what the step writes.
    click(&c, "input[name='decision'][value='approve']").await;
    set_date(&c, "w-tax-registration_date", "2026-12-01").await;
    let quota = c
        .find(Locator::Id("w-tax-invoice_quota"))
        .await
        .expect("quota");
    quota.send_keys("25").await.expect("quota");
    click(&c, "#resolve-send").await;
    until(&c, "the queue again", |h| {
        h.contains("queue-title") || h.contains("queue_empty") || !h.contains("resolve-form")
    })
    .await;
    let s = wait_for(&server, &business_id, &["completed", "running"]).await;
    assert_ne!(s["status"], "manual", "{s:#}");

    // Health's newborn application is not the tax officer's to see at all.
    c.goto(&web(&base, &format!("/console/applications/{newborn_id}")))
        .await
        .expect("newborn");
    let html = until(&c, "the refusal", |h| h.contains("</main>")).await;
    assert!(
        !html.contains("mother.id_number") && !html.contains("陈静"),
        "{html}"
    );
    assert!(html.contains("404"), "{html}");
    // Through the API too.
    let r = client_with(&crate::support::officer_token("wang", "tax"))
        .get(server.url(&format!("/api/applications/{newborn_id}")))
        .send()
        .await
        .expect("status");
    assert_eq!(r.status(), 404);
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publisher_uploads_and_rolls_back_a_plugin() {
    let site = Site::new();
    let (_server, _driver, c, base) = open(&site).await;
    c.goto(&web(&base, "/login")).await.expect("login");
    fill_id(&c, "t-token", TOKEN).await;
    click(&c, "#login-token").await;
    until(&c, "the console", |h| h.contains("tile-queue")).await;
    review(&c, "console-operator").await;

    for page in [
        "applications",
        "overdue",
        "bundles",
        "dictionary",
        "grants",
        "changes",
        "audit",
        "systems",
    ] {
        c.goto(&web(&base, &format!("/console/{page}")))
            .await
            .expect(page);
        let html = until(&c, page, |h| h.contains("</main>")).await;
        assert!(!html.contains("出错了"), "{page}:\n{html}");
        review(&c, &format!("console-{page}")).await;
    }
    c.goto(&web(&base, "/console/bundles/newborn"))
        .await
        .expect("bundle");
    review(&c, "console-bundle").await;

    c.goto(&web(&base, "/console/plugins/health"))
        .await
        .expect("plugin");
    let before = text_of(&c, "#serving").await;
    c.goto(&web(&base, "/console/plugins"))
        .await
        .expect("plugins");
    review(&c, "console-plugins").await;
    let original = std::fs::read(site.path().join("plugins/health.wasm")).expect("health");
    let build = onething_testing::another_version(&original, "1.0.0", "1.0.1");
    let file = site.path().join("health-new.wasm");
    std::fs::write(&file, &build).expect("write build");
    choose_file(&c, "component", &file).await;
    click(&c, "#upload-send").await;
    let html = until(&c, "the upload's answer", |h| {
        h.contains("id=\"done\"") || h.contains("id=\"refused\"")
    })
    .await;
    assert!(html.contains("id=\"done\""), "{html}");
    let digest = onething_model::ids::Digest::of(&build).to_string();
    c.goto(&web(&base, "/console/plugins/health"))
        .await
        .expect("plugin");
    assert_eq!(
        text_of(&c, "#serving").await,
        digest,
        "the new build serves"
    );
    review(&c, "console-plugin").await;
    click(&c, "#rollback").await;
    until(&c, "the rollback", |h| h.contains("id=\"done\"")).await;
    assert_eq!(text_of(&c, "#serving").await, before, "rolled back");

    // A new grants register from a file, then rolled back; a bundle that
    // does not parse is refused, naming its fault.
    let grants = site.path().join("grants-new.toml");
    std::fs::write(
        &grants,
        format!(
            "{}\n# a second version, from the pages' test\n",
            onething_testing::test_grants()
        ),
    )
    .expect("grants");
    c.goto(&web(&base, "/console/grants"))
        .await
        .expect("grants");
    choose_file(&c, "toml-file", &grants).await;
    click(&c, "#upload-send").await;
    until(&c, "the register's upload", |h| h.contains("id=\"done\"")).await;
    click(&c, "#rollback").await;
    until(&c, "the register's rollback", |h| {
        h.contains("id=\"done\"") && h.contains("rollback")
    })
    .await;
    let broken = site.path().join("broken.toml");
    std::fs::write(&broken, "id = \"broken\"\n[[steps]\n").expect("broken");
    c.goto(&web(&base, "/console/bundles"))
        .await
        .expect("bundles");
    choose_file(&c, "toml-file", &broken).await;
    click(&c, "#upload-send").await;
    until(&c, "the bundle's refusal", |h| h.contains("id=\"refused\"")).await;

    // A component that is not one is refused, and the serving one stays.
    let junk = site.path().join("junk.wasm");
    std::fs::write(&junk, b"not a component").expect("junk");
    c.goto(&web(&base, "/console/plugins"))
        .await
        .expect("plugins");
    choose_file(&c, "component", &junk).await;
    click(&c, "#upload-send").await;
    until(&c, "the refusal", |h| h.contains("id=\"refused\"")).await;
    c.goto(&web(&base, "/console/plugins/health"))
        .await
        .expect("plugin");
    assert_eq!(text_of(&c, "#serving").await, before);
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_refuse_posts_without_their_csrf_token_and_send_strict_headers() {
    let site = Site::new();
    let server = site.start();
    let plain = reqwest::Client::new();
    let r = plain.get(server.url("/")).send().await.expect("start");
    let csp = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // A sign-in posted without the token is refused, and signs no one in.
    let r = plain
        .post(server.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("how=token&token={TOKEN}"))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap_or_default().contains("onething_session="))
    );
    let body = r.text().await.expect("body");
    assert!(body.contains("reload the page"), "{body}");
    // The API is where it was, and its answers stay JSON.
    let r = plain
        .get(server.url("/api/nothing"))
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .contains("problem+json")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_applicant_corrects_what_a_department_asked_for_and_the_application_goes_on() {
    let site = Site::new();
    let (_server, _driver, c, base) = open(&site).await;
    sign_in_as_applicant(&c, &base, MOTHER_ID, "陈静").await;
    c.goto(&web(&base, "/bundles/testkit-correction"))
        .await
        .expect("form");
    fill(&c, "child.name", "林安然").await;
    fill(&c, "testkit.answer", "wrong").await;
    click(&c, "#submit").await;
    until(&c, "needs more", |h| h.contains("go-correct")).await;
    click(&c, "#go-correct").await;
    let html = until(&c, "the correction form", |h| h.contains("send-correction")).await;
    assert!(
        html.contains("testkit.answer"),
        "the field asked for:\n{html}"
    );
    review(&c, "correct").await;
    fill(&c, "testkit.answer", "corrected").await;
    click(&c, "#send-correction").await;
    let html = until(&c, "completed", |h| h.contains("data-final=\"yes\"")).await;
    assert!(html.contains("status-completed"), "{html}");
    c.close().await.expect("close");
}
