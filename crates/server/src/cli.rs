//! The command line: `keyward-server serve ...` and `keyward-server admin ...`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::admin::{Admin, AdminError};
use crate::config::{self, Config, TlsFiles};
pub use crate::conn::ConnectionArgs;
use crate::ipnet::IpNet;
use crate::ratelimit::RateLimitConfig;
use crate::secret::Secret;
use crate::store::Database;

/// Keyward license server.
#[derive(Debug, Parser)]
#[command(name = "keyward-server", version, about)]
pub struct Cli {
    /// Log format on stderr: `text` (coloured only on a terminal) or `json` (one object a
    /// line, for log shippers).
    #[arg(long, global = true, env = "KEYWARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Administer accounts and API keys.
    Admin(AdminArgs),
    /// Print the OpenAPI 3.1 document of the HTTP surface (what `GET /openapi.json`
    /// serves; committed as docs/openapi.json).
    Openapi,
}

/// `serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The database: a SQLite file (created and migrated on start), or a PostgreSQL URL
    /// `postgres://USER[:PASSWORD]@HOST:PORT/DB` (the database must exist; migrated on
    /// start). Prefer the environment variable when the URL holds a password.
    #[arg(long, env = "KEYWARD_DB", default_value = "./keyward.db", value_parser = parse_database, hide_env_values = true)]
    pub db: Database,
    /// Most connections to a PostgreSQL database (per instance).
    #[arg(long, env = "KEYWARD_DB_CONNECTIONS", default_value_t = crate::store::DEFAULT_POSTGRES_CONNECTIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub db_connections: usize,
    /// Address to listen on.
    #[arg(long, env = "KEYWARD_LISTEN", default_value = config::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Secret for session tokens (at least 32 characters). Default: generated on first
    /// start and kept in the database. Prefer the environment variable to the flag.
    #[arg(long, env = "KEYWARD_SERVER_SECRET", hide_env_values = true)]
    pub server_secret: Option<String>,
    /// Session token lifetime in seconds.
    #[arg(long, env = "KEYWARD_SESSION_TTL", default_value_t = config::DEFAULT_SESSION_TTL.as_secs())]
    pub session_ttl: u64,
    /// Auth endpoints: requests admitted at once per client IP (IPv6: per /64); 0
    /// disables the limit.
    #[arg(long, env = "KEYWARD_AUTH_BURST", default_value_t = config::default_auth_rate_limit().burst)]
    pub auth_burst: u32,
    /// Auth endpoints: sustained requests a second per client IP (IPv6: per /64).
    #[arg(long, env = "KEYWARD_AUTH_RATE", default_value_t = config::default_auth_rate_limit().per_second)]
    pub auth_rate: f64,
    /// Developer API: failed API-key checks admitted at once per client IP (IPv6: per
    /// /64); 0 disables the limit.
    #[arg(long, env = "KEYWARD_API_KEY_FAILURE_BURST", default_value_t = config::default_api_key_failure_limit().burst)]
    pub api_key_failure_burst: u32,
    /// Developer API: sustained failed API-key checks a second per client IP.
    #[arg(long, env = "KEYWARD_API_KEY_FAILURE_RATE", default_value_t = config::default_api_key_failure_limit().per_second)]
    pub api_key_failure_rate: f64,
    /// Most clients or API keys one rate limiter keeps state for; beyond, new ones share
    /// one bucket until idle ones are pruned.
    #[arg(long, env = "KEYWARD_RATE_LIMIT_MAX_KEYS", default_value_t = crate::ratelimit::DEFAULT_MAX_KEYS)]
    pub rate_limit_max_keys: usize,
    /// Largest request body in bytes.
    #[arg(long, env = "KEYWARD_MAX_BODY", default_value_t = config::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// A reverse proxy (address or network, e.g. 10.0.0.0/8) whose X-Forwarded-For names
    /// the client; repeat the flag, or separate with commas in the environment variable.
    #[arg(
        long = "trusted-proxy",
        env = "KEYWARD_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics (off by default; keep the address
    /// private).
    #[arg(long, env = "KEYWARD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Connection timeouts and cap.
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// Serve HTTPS with this PEM certificate chain (server certificate first); needs
    /// --tls-key. Both files are reloaded when they change and on SIGHUP.
    #[arg(long, env = "KEYWARD_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "KEYWARD_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// `--db`: a PostgreSQL URL or a SQLite path.
fn parse_database(text: &str) -> Result<Database, String> {
    if text.is_empty() {
        return Err("the database must be a SQLite path or a postgres:// URL".to_owned());
    }
    Ok(Database::parse(text))
}

/// Smallest accepted `--server-secret`.
pub const MIN_SECRET_LEN: usize = 32;

impl ServeArgs {
    /// The server configuration, or why the flags are unusable.
    pub fn config(&self) -> Result<Config, String> {
        let mut config = Config::new(self.db.clone());
        config.postgres_connections = self.db_connections;
        config.listen = self.listen;
        if let Some(secret) = &self.server_secret {
            if secret.len() < MIN_SECRET_LEN {
                return Err(format!(
                    "the server secret must be at least {MIN_SECRET_LEN} characters"
                ));
            }
            config.server_secret = Some(Secret::new(secret.as_bytes().to_vec()));
        }
        if self.session_ttl == 0 {
            return Err("--session-ttl must be at least 1 second".to_owned());
        }
        config.session_ttl = Duration::from_secs(self.session_ttl);
        config.auth_rate_limit = limit_flags(self.auth_burst, self.auth_rate, "--auth-rate")?;
        config.api_key_failure_limit = limit_flags(
            self.api_key_failure_burst,
            self.api_key_failure_rate,
            "--api-key-failure-rate",
        )?;
        if self.rate_limit_max_keys == 0 {
            return Err("--rate-limit-max-keys must be at least 1".to_owned());
        }
        config.rate_limit_max_keys = self.rate_limit_max_keys;
        config.max_body_bytes = self.max_body_bytes.max(1024);
        config.metrics_listen = self.metrics_listen;
        config.trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|text| {
                IpNet::parse(text).map_err(|err| format!("--trusted-proxy {text:?}: {err}"))
            })
            .collect::<Result<_, _>>()?;
        config.connections = self.connections.config()?;
        config.tls = self
            .tls_cert
            .clone()
            .zip(self.tls_key.clone())
            .map(|(cert, key)| TlsFiles { cert, key });
        Ok(config)
    }
}

/// A limit from its burst flag (0: none) and its rate flag `rate_flag`.
fn limit_flags(burst: u32, rate: f64, rate_flag: &str) -> Result<Option<RateLimitConfig>, String> {
    if burst == 0 {
        Ok(None)
    } else if rate.is_finite() && rate > 0.0 {
        Ok(Some(RateLimitConfig::new(burst, rate)))
    } else {
        Err(format!("{rate_flag} must be a positive number"))
    }
}

/// `admin` flags.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The database, as `serve --db` takes it: a SQLite file, which must exist unless
    /// `--create` is given, or a PostgreSQL URL (the database must exist).
    #[arg(long, env = "KEYWARD_DB", default_value = "./keyward.db", value_parser = parse_database, hide_env_values = true)]
    pub db: Database,
    /// Create the SQLite file if there is none at `--db` (without it, a missing file is
    /// an error: exit code 6).
    #[arg(long)]
    pub create: bool,
    /// The operation.
    #[command(subcommand)]
    pub op: AdminOp,
}

/// Admin operations.
#[derive(Debug, Subcommand)]
pub enum AdminOp {
    /// Create an account.
    CreateAccount {
        /// Unique account name.
        name: String,
    },
    /// Issue an API key for an account; the key is printed once.
    IssueApiKey {
        /// Account name.
        account: String,
    },
    /// List an account's API keys (ids and states; keys are never shown again).
    ListApiKeys {
        /// Account name.
        account: String,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key, given by id or by the key itself.
    RevokeApiKey {
        /// Key id (printed at issue) or the key.
        key: String,
    },
    /// Add credits to an account (negative to remove).
    AddCredits {
        /// Account name.
        account: String,
        /// Credits to add.
        #[arg(allow_negative_numbers = true)]
        amount: i64,
    },
    /// Suspend an account (its apps answer app_disabled).
    Suspend {
        /// Account name.
        account: String,
    },
    /// Lift a suspension.
    Reinstate {
        /// Account name.
        account: String,
    },
    /// List accounts.
    ListAccounts {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an admin operation, printing its result; the exit code follows
/// [`AdminError::exit_code`].
pub async fn run_admin(args: AdminArgs) -> ExitCode {
    let result = async {
        let admin = if args.create {
            Admin::open(&args.db).await?
        } else {
            Admin::open_existing(&args.db).await?
        };
        run_op(&admin, args.op).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

async fn run_op(admin: &Admin, op: AdminOp) -> Result<(), AdminError> {
    match op {
        AdminOp::CreateAccount { name } => {
            let account = admin.create_account(&name).await?;
            println!("created account {} (id {})", account.name, account.id);
        }
        AdminOp::IssueApiKey { account } => {
            let issued = admin.issue_api_key(&account).await?;
            println!("key id: {}", issued.id);
            println!("api key: {}", issued.key);
            eprintln!("store the key now: it is not shown again");
        }
        AdminOp::ListApiKeys { account, json } => {
            let keys = admin.list_api_keys(&account).await?;
            if json {
                return print_json(&keys);
            }
            println!("{:<6} {:<12} status", "id", "created");
            for key in keys {
                let status = if key.revoked { "revoked" } else { "active" };
                println!("{:<6} {:<12} {status}", key.id, key.created_at);
            }
        }
        AdminOp::RevokeApiKey { key } => {
            admin.revoke_api_key(&key).await?;
            println!("revoked");
        }
        AdminOp::AddCredits { account, amount } => {
            let account = admin.add_credits(&account, amount).await?;
            println!("{}: {} credits", account.name, account.credits);
        }
        AdminOp::Suspend { account } => {
            let account = admin.suspend(&account).await?;
            println!("{}: suspended", account.name);
        }
        AdminOp::Reinstate { account } => {
            let account = admin.reinstate(&account).await?;
            println!("{}: active", account.name);
        }
        AdminOp::ListAccounts { json } => {
            let accounts = admin.list_accounts().await?;
            if json {
                return print_json(&accounts);
            }
            println!("{:<6} {:<32} {:>10} status", "id", "name", "credits");
            for account in accounts {
                let status = if account.suspended {
                    "suspended"
                } else {
                    "active"
                };
                println!(
                    "{:<6} {:<32} {:>10} {status}",
                    account.id, account.name, account.credits
                );
            }
        }
    }
    Ok(())
}

/// Prints `list` as one JSON array (the same fields as the Developer API's objects).
fn print_json<T: serde::Serialize>(list: &[T]) -> Result<(), AdminError> {
    let text = serde_json::to_string_pretty(list)
        .map_err(|err| AdminError::Storage(crate::StoreError::Backend(err.to_string())))?;
    println!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn serve(args: &[&str]) -> Result<Config, String> {
        let cli = Cli::try_parse_from(["keyward-server", "serve"].iter().chain(args))
            .map_err(|err| err.to_string())?;
        match cli.command {
            Command::Serve(serve) => serve.config(),
            _ => Err("not serve".to_owned()),
        }
    }

    #[test]
    fn tls_takes_a_certificate_and_its_key_together() {
        let config = serve(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        let files = config.tls.expect("TLS on");
        assert_eq!(
            (files.cert.to_str(), files.key.to_str()),
            (Some("c.pem"), Some("k.pem"))
        );
        assert!(serve(&[]).unwrap().tls.is_none());
        for alone in [["--tls-cert", "c.pem"], ["--tls-key", "k.pem"]] {
            let err = serve(&alone).unwrap_err();
            assert!(err.contains("--tls-"), "{err}");
        }
    }

    #[test]
    fn trusted_proxies_from_repeated_flags_or_a_list() {
        let config = serve(&["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "::1"]).unwrap();
        let texts: Vec<String> = config
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(texts, ["10.0.0.0/8", "::1"]);
        let config = serve(&["--trusted-proxy", "10.0.0.0/8,192.168.1.1"]).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(serve(&[]).unwrap().trusted_proxies.is_empty());
        let err = serve(&["--trusted-proxy", "10.0.0.0/40"]).unwrap_err();
        assert!(
            err.contains("--trusted-proxy") && err.contains("prefix"),
            "{err}"
        );
    }
}
