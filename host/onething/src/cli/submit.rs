//! `onething submit`: send application documents to a running service —
//! materials uploaded once and referenced by digest — and optionally follow
//! them to the end, printing each step as it changes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use onething_catalog::source::SourceDir;
use onething_model::application::sniff_media_type;
use serde_json::{Value, json};

/// Arguments of `onething submit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Application documents (JSON); material paths are uploaded first.
    #[arg(required = true)]
    application: Vec<PathBuf>,
    /// The service's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Follow each application until it is completed, rejected, needs more or waits for an operator.
    #[arg(long)]
    follow: bool,
    /// The applicant's bearer token (`onething identity token` mints one
    /// with a development issuer).
    #[arg(long, env = "ONETHING_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = &args.token {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .context("--token is not a header value")?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()?;
    let base = args.server.trim_end_matches('/');
    let mut all_completed = true;
    for path in &args.application {
        let (dir, name) = SourceDir::of_file(path)?;
        let mut doc: Value = serde_json::from_str(&dir.read_to_string(&name)?)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        upload_materials(&client, base, &dir, &mut doc).await?;
        let r = client
            .post(format!("{base}/api/applications"))
            .json(&doc)
            .send()
            .await
            .with_context(|| format!("POST {base}/api/applications"))?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            outln!(
                "{}: refused ({status}): {}",
                path.display(),
                body["detail"].as_str().unwrap_or("")
            );
            for p in body["problems"].as_array().into_iter().flatten() {
                outln!(
                    "    - {} [{}]",
                    p["message"].as_str().unwrap_or(""),
                    p["code"].as_str().unwrap_or("")
                );
            }
            all_completed = false;
            continue;
        }
        let id = body["id"]
            .as_str()
            .context("the service answered without an id")?
            .to_owned();
        outln!("{}: accepted as {id}", path.display());
        outln!("    status {base}/api/applications/{id}");
        outln!("    live   {base}/api/applications/{id}/events");
        if args.follow {
            all_completed &= follow(&client, base, &id).await? == "completed";
        }
    }
    Ok(if all_completed || !args.follow {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn upload_materials(
    client: &reqwest::Client,
    base: &str,
    dir: &SourceDir,
    doc: &mut Value,
) -> anyhow::Result<()> {
    // `doc["materials"]` would insert a null into a document without
    // materials (which may leave them out), and the service refuses a null.
    let materials = doc.get_mut("materials").and_then(Value::as_array_mut);
    for m in materials.into_iter().flatten() {
        let Some(rel) = m["path"].as_str() else {
            continue;
        };
        let file = dir.shown(rel);
        let bytes = dir
            .read_relative(rel)
            .with_context(|| format!("reading material {file}"))?;
        let Some(media) = sniff_media_type(&bytes) else {
            bail!("material {file} is not a PDF, PNG or JPEG file");
        };
        let r = client
            .post(format!("{base}/api/materials"))
            .header("content-type", media)
            .body(bytes)
            .send()
            .await?;
        if !r.status().is_success() {
            bail!(
                "uploading {} was refused: {}",
                file,
                r.text().await.unwrap_or_default()
            );
        }
        let meta: Value = r.json().await?;
        *m = json!({ "code": m["code"], "digest": meta["digest"], "media_type": meta["media_type"], "size": meta["size"] });
    }
    Ok(())
}

async fn follow(client: &reqwest::Client, base: &str, id: &str) -> anyhow::Result<String> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let s: Value = client
            .get(format!("{base}/api/applications/{id}"))
            .send()
            .await?
            .json()
            .await?;
        for step in s["steps"].as_array().into_iter().flatten() {
            let name = step["step"].as_str().unwrap_or("").to_owned();
            let now = format!(
                "{} (attempt {})",
                step["status"].as_str().unwrap_or(""),
                step["attempts"]
            );
            if seen.get(&name) != Some(&now) {
                let mark = match step["status"].as_str() {
                    Some("approved") => "✔",
                    Some("skipped") => "–",
                    Some("running") | Some("waiting") | Some("retrying") => "▶",
                    _ => "✗",
                };
                outln!(
                    "    {mark} {name}: {now}{}",
                    step["reason"]
                        .as_str()
                        .map(|r| format!(" — {r}"))
                        .unwrap_or_default()
                );
                seen.insert(name, now);
            }
        }
        let status = s["status"].as_str().unwrap_or("").to_owned();
        if matches!(
            status.as_str(),
            "completed" | "rejected" | "manual" | "needs-more"
        ) {
            outln!("    => {status}");
            return Ok(status);
        }
        if std::time::Instant::now() > deadline {
            bail!("application {id} is still {status} after 120 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
