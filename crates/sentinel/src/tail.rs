//! `sentinel tail FILE --service NAME`: reads a log file once, from its start, through the
//! same reader, prepare step and ingest writer as the running tailer. For trying a format
//! and field mapping on a real file before adding it as a source, or for importing an old
//! log; no offset is stored, so running it twice stores each error once (event ids come
//! from the file and the line's offset and bytes).

use crate::cli::TailArgs;
use crate::commands::resolve_org;
use crate::server::open_store;
use anyhow::Context as _;
use sentinel_core::clock::SharedClock;
use sentinel_core::id::ServiceId;
use sentinel_core::log_source::{
    FieldMapping, LogFormat, LogSourceConfig, DEFAULT_POLL_INTERVAL_MS,
};
use sentinel_jobs::tailer::Tailer;
use sentinel_store::writer::{IngestWriter, WriterOptions};

/// `sentinel tail`.
pub async fn tail(
    config: &crate::config::Config,
    clock: &SharedClock,
    args: &TailArgs,
) -> anyhow::Result<String> {
    let format = LogFormat::parse(&args.format)
        .with_context(|| format!("--format must be json_lines or text, not {:?}", args.format))?;
    let path =
        std::path::absolute(&args.file).with_context(|| format!("no path {:?}", args.file))?;
    let store = open_store(config).await?;
    let org = resolve_org(&store, args.org.as_deref()).await?;
    let service = match store
        .find_service_by_name(&org.id, args.service.trim())
        .await?
    {
        Some(service) => service,
        None => store
            .get_service(&org.id, &ServiceId::from_string(args.service.trim()))
            .await?
            .with_context(|| format!("{} has no service named {:?}", org.slug, args.service))?,
    };
    let name = service.name.clone();
    let writer = IngestWriter::spawn(store.clone(), clock.clone(), WriterOptions::default(), None);
    let tailer = Tailer::new(store.clone(), writer.clone(), clock.clone());
    let source = LogSourceConfig {
        path: path.to_string_lossy().into_owned(),
        format,
        fields: FieldMapping::default(),
        poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
        enabled: true,
    };
    let result = tailer.read_once(service, source).await;
    writer.shutdown().await;
    store.close().await;
    let report = result?;
    if report.files == 0 {
        anyhow::bail!("{} does not exist or is not a file", path.display());
    }
    Ok(format!(
        "{}: {} lines read, {} error events for {name}, {} malformed lines skipped",
        path.display(),
        report.lines,
        report.events,
        report.malformed
    ))
}
