//! Prometheus metrics, served in the text exposition format on a listen address of their
//! own (`--metrics-listen`, off by default), so that they never share a port with the
//! public API. Recorded with the `metrics` crate: while no server exports them, every
//! recording is a no-op.
//!
//! The label values of answers come from the generated `keyward-errors` enums: every
//! code of a route's family is registered at zero when the route first answers, so a
//! code added to the spec is exported with no change here. The metrics are listed in
//! docs/server.md ("Metrics").

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keyward_errors::{
    ApiError, ErrorCode, ErrorInfo, Family, HeartbeatError, RetryClass, SelfBanError, ValidateError,
};
use metrics::{Counter, Histogram, counter, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::access_log::UNMATCHED;
use crate::conn::Limits;
use crate::request_id::AnswerError;

/// Answers by route, family and code.
pub const ANSWERS: &str = "keyward_answers_total";
/// Time from the request to its answer, by route.
pub const LATENCY: &str = "keyward_request_duration_seconds";
/// Answers refused by a rate limit (a code of the throttled retry class), by route.
pub const RATE_LIMITED: &str = "keyward_rate_limited_total";
/// Heartbeats answered from the session cache (`hit`) or sent to the database (`miss`).
pub const SESSION_CACHE: &str = "keyward_session_cache_total";
/// Credits charged (validates, heartbeat milestones, licenses), counted at commit.
pub const CREDITS_CHARGED: &str = "keyward_credits_charged_total";

/// PostgreSQL jobs run again after losing to a concurrent transaction (SQLSTATE 40001
/// or 40P01).
pub const POSTGRES_RERUNS: &str = "keyward_postgres_reruns_total";

/// The `code` label of an answer that carries no error.
pub const SUCCESS: &str = "success";
/// The `family` label of a route without an error family (`/health`).
const NO_FAMILY: &str = "none";

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];
/// How often histograms are compacted when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder, installed by the first server that exports
/// metrics (servers of one process share it).
pub(crate) fn recorder() -> Result<PrometheusHandle, String> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(LATENCY.to_owned()), LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|err| format!("cannot install the metrics recorder: {err}"))?;
            describe();
            for result in ["hit", "miss"] {
                counter!(SESSION_CACHE, "result" => result).increment(0);
            }
            counter!(CREDITS_CHARGED).increment(0);
            Ok(handle)
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(ANSWERS, "Answers by route, error family and error code.");
    metrics::describe_histogram!(
        LATENCY,
        metrics::Unit::Seconds,
        "Time from a request to its answer, by route."
    );
    metrics::describe_counter!(RATE_LIMITED, "Requests refused by a rate limit, by route.");
    metrics::describe_counter!(
        SESSION_CACHE,
        "Heartbeats answered from memory (hit) or from the database (miss)."
    );
    metrics::describe_counter!(CREDITS_CHARGED, "Credits charged, counted at commit.");
    metrics::describe_counter!(
        POSTGRES_RERUNS,
        "PostgreSQL jobs run again after a serialization failure or deadlock."
    );
}

/// Connections the metrics listener holds at once: a few scrapers, never a share of the
/// file limit the main listener needs.
const MAX_SCRAPERS: usize = 16;

/// A bound metrics listener and the recorder it exports.
#[derive(Debug)]
pub(crate) struct Exporter {
    listener: TcpListener,
    handle: PrometheusHandle,
}

impl Exporter {
    /// Installs the recorder and binds `addr`.
    pub(crate) async fn bind(addr: SocketAddr) -> Result<Self, std::io::Error> {
        let handle = recorder().map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, handle })
    }

    /// The bound address.
    pub(crate) fn local_addr(&self) -> Result<SocketAddr, std::io::Error> {
        self.listener.local_addr()
    }

    /// Serves `GET /metrics` (anything else is 404) until `shutdown` completes, with the
    /// main listener's timeouts and at most [`MAX_SCRAPERS`] connections.
    pub(crate) async fn serve(
        self,
        limits: Limits,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        let handle = self.handle;
        let upkeep = tokio::spawn({
            let handle = handle.clone();
            async move {
                let mut ticks = tokio::time::interval(UPKEEP_EVERY);
                loop {
                    ticks.tick().await;
                    handle.run_upkeep();
                }
            }
        });
        let app = Router::new().route(
            "/metrics",
            get(move || {
                let text = handle.render();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        text,
                    )
                        .into_response()
                }
            }),
        );
        let limits = Limits {
            cap: limits.cap.min(MAX_SCRAPERS),
            ..limits
        };
        crate::conn::serve_connections(self.listener, app, limits, None, shutdown).await;
        upkeep.abort();
    }
}

/// `router` with every answer counted and timed.
pub(crate) fn apply<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(middleware::from_fn(record))
}

async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let metrics = RouteMetrics::of(route.as_ref().map_or(UNMATCHED, MatchedPath::as_str));
    metrics.latency.record(started.elapsed().as_secs_f64());
    let answer = response.extensions().get::<AnswerError>().map(|a| a.0);
    metrics.answer(answer).increment(1);
    if answer.is_some_and(|info| info.retry_class == RetryClass::Throttled) {
        metrics.rate_limited.increment(1);
    }
    response
}

/// The metric handles of one route.
struct RouteMetrics {
    route: String,
    success: Counter,
    /// Every code of the route's family, registered at zero.
    codes: Vec<(&'static ErrorInfo, Counter)>,
    latency: Histogram,
    rate_limited: Counter,
}

impl RouteMetrics {
    /// The handles of `route`, registered on its first answer.
    fn of(route: &str) -> Arc<Self> {
        static ROUTES: LazyLock<RwLock<HashMap<String, Arc<RouteMetrics>>>> =
            LazyLock::new(RwLock::default);
        if let Some(found) = ROUTES
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(route)
        {
            return found.clone();
        }
        ROUTES
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(route.to_owned())
            .or_insert_with(|| Arc::new(Self::register(route)))
            .clone()
    }

    fn register(route: &str) -> Self {
        let family = family_of(route);
        let family_label = family.map_or(NO_FAMILY, Family::as_str);
        let codes = codes_of(family)
            .map(|info| (info, answers(route, info.family.as_str(), info.code)))
            .collect();
        let route_label = route.to_owned();
        let rate_limited = counter!(RATE_LIMITED, "route" => route_label.clone());
        rate_limited.increment(0);
        Self {
            route: route.to_owned(),
            success: answers(route, family_label, SUCCESS),
            codes,
            latency: histogram!(LATENCY, "route" => route_label),
            rate_limited,
        }
    }

    /// The answer counter for `error` (`None`: a success).
    fn answer(&self, error: Option<&'static ErrorInfo>) -> Counter {
        let Some(info) = error else {
            return self.success.clone();
        };
        match self
            .codes
            .iter()
            .find(|(known, _)| std::ptr::eq(*known, info))
        {
            Some((_, counter)) => counter.clone(),
            // A code of another family than the route's (never sent today).
            None => answers(&self.route, info.family.as_str(), info.code),
        }
    }
}

/// The registered answer counter of one route, family and code, at zero if new.
fn answers(route: &str, family: &'static str, code: &'static str) -> Counter {
    let counter = counter!(
        ANSWERS,
        "route" => route.to_owned(),
        "family" => family,
        "code" => code,
    );
    counter.increment(0);
    counter
}

/// The error family a route answers in: the auth endpoints their own, `/health` none,
/// and every other route (the Developer API and unmatched paths) the API's.
fn family_of(route: &str) -> Option<Family> {
    match route {
        "/health" => None,
        "/auth/validate" => Some(Family::Validate),
        "/auth/heartbeat" => Some(Family::Heartbeat),
        "/auth/selfban" => Some(Family::Selfban),
        _ => Some(Family::Api),
    }
}

/// The codes the server can send in `family` (retired ones are never sent).
fn codes_of(family: Option<Family>) -> impl Iterator<Item = &'static ErrorInfo> {
    fn sendable<E: ErrorCode>() -> impl Iterator<Item = &'static ErrorInfo> {
        E::ALL
            .iter()
            .filter_map(ErrorCode::info)
            .filter(|info| info.retired.is_none())
    }
    let codes: Box<dyn Iterator<Item = &'static ErrorInfo>> = match family {
        Some(Family::Api) => Box::new(sendable::<ApiError>()),
        Some(Family::Validate) => Box::new(sendable::<ValidateError>()),
        Some(Family::Heartbeat) => Box::new(sendable::<HeartbeatError>()),
        Some(Family::Selfban) => Box::new(sendable::<SelfBanError>()),
        _ => Box::new(std::iter::empty()),
    };
    codes
}

/// Counts a heartbeat answered from memory (`hit`) or sent to the database.
pub(crate) fn session_cache(hit: bool) {
    counter!(SESSION_CACHE, "result" => if hit { "hit" } else { "miss" }).increment(1);
}

/// Counts a PostgreSQL job run again after it lost to a concurrent transaction.
pub(crate) fn postgres_rerun() {
    counter!(POSTGRES_RERUNS).increment(1);
}

/// Counts credits charged by a committed transaction.
pub(crate) fn credits_charged(amount: u64) {
    if amount > 0 {
        counter!(CREDITS_CHARGED).increment(amount);
    }
}
