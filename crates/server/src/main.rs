//! `keyward-server`: run the license server, or administer its database.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use keyward_server::cli::{Cli, Command, LogFormat, run_admin};
use tracing_subscriber::EnvFilter;

/// mimalloc: markedly less time in the allocator than glibc's under many threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(message) = init_logs(cli.log_format) {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Admin(args) => run_admin(args).await,
            Command::Openapi => {
                print!("{}", keyward_server::openapi::served());
                ExitCode::SUCCESS
            }
            Command::Serve(args) => {
                let config = match args.config() {
                    Ok(config) => config,
                    Err(message) => {
                        eprintln!("error: {message}");
                        return ExitCode::from(2);
                    }
                };
                match keyward_server::serve(config, shutdown_signal()).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(err) => {
                        tracing::error!(error = %err, "server stopped");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    })
}

/// The log filter: `KEYWARD_LOG`, else `RUST_LOG`, else `info`. A variable that is set
/// but unusable is an error, not silently replaced.
fn log_filter() -> Result<EnvFilter, String> {
    for var in ["KEYWARD_LOG", "RUST_LOG"] {
        match std::env::var(var) {
            Ok(text) => {
                return EnvFilter::builder()
                    .parse(&text)
                    .map_err(|err| format!("{var}={text:?} is not a log filter: {err}"));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(format!("{var} is not valid UTF-8"));
            }
            Err(std::env::VarError::NotPresent) => {}
        }
    }
    Ok(EnvFilter::new("info"))
}

/// Logs to stderr, in `format`; colours only when stderr is a terminal (a redirected
/// log gets no escape codes).
fn init_logs(format: LogFormat) -> Result<(), String> {
    let filter = log_filter()?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
