//! Runtime cost of the generated error model beside a `HashMap` registry
//! baseline (what a hand-rolled, string-keyed registry would cost), in one run.
//!
//! `cargo bench -p keyward-errors --bench runtime` (add `--features locales` for the
//! localized lookup and the negotiation beside the English lookup).

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward_errors::{ApiError, ApiErrorBody, RetryClass, ValidateError};

/// The baseline: every code's data in a `HashMap` keyed by the code string.
struct Registry {
    by_code: HashMap<&'static str, Entry>,
}

#[derive(Clone, Copy)]
struct Entry {
    code: &'static str,
    user_message: &'static str,
    retry_class: RetryClass,
}

impl Registry {
    fn new() -> Self {
        let by_code = ValidateError::ALL
            .iter()
            .filter_map(|e| e.info())
            .map(|i| {
                (
                    i.code,
                    Entry {
                        code: i.code,
                        user_message: i.user_message,
                        retry_class: i.retry_class,
                    },
                )
            })
            .collect();
        Self { by_code }
    }
}

#[derive(serde::Serialize)]
struct BaselineBody<'a> {
    error: &'a str,
    message: &'a str,
}

fn bench(c: &mut Criterion) {
    let registry = Registry::new();
    // A code late in the table, so the generated parser has real work to do.
    let code = "hwid_mismatch";
    let error = ValidateError::HwidMismatch;
    let entry = registry.by_code[code];

    let mut group = c.benchmark_group("parse");
    group.bench_function("keyward/from_code", |b| {
        b.iter(|| ValidateError::from_code(black_box(code)))
    });
    group.bench_function("hashmap/get", |b| {
        b.iter(|| registry.by_code.get(black_box(code)).copied())
    });
    group.finish();

    let mut group = c.benchmark_group("code");
    group.bench_function("keyward/code", |b| {
        b.iter(|| black_box(&error).code().len())
    });
    group.bench_function("hashmap/code", |b| b.iter(|| black_box(&entry).code.len()));
    group.finish();

    let mut group = c.benchmark_group("retry_class");
    group.bench_function("keyward/retry_class", |b| {
        b.iter(|| black_box(&error).retry_class())
    });
    group.bench_function("hashmap/retry_class", |b| {
        b.iter(|| registry.by_code[black_box(code)].retry_class)
    });
    group.finish();

    let mut group = c.benchmark_group("user_message");
    group.bench_function("keyward/user_message", |b| {
        b.iter(|| black_box(&error).user_message().len())
    });
    group.bench_function("hashmap/user_message", |b| {
        b.iter(|| registry.by_code[black_box(code)].user_message.len())
    });
    // The same text in a language chosen at run time (feature `locales`):
    // `cargo bench -p keyward-errors --bench runtime --features locales`.
    #[cfg(feature = "locales")]
    {
        let locale = keyward_errors::Locale::negotiate(["de-DE"]);
        group.bench_function("keyward/user_message_in", |b| {
            b.iter(|| black_box(&error).user_message_in(black_box(locale)).len())
        });
        group.bench_function("keyward/negotiate", |b| {
            b.iter(|| keyward_errors::Locale::negotiate(black_box(["de-AT", "en-US"])))
        });
    }
    group.finish();

    let body = ApiErrorBody {
        error: ApiError::NotFound,
        message: ApiError::NotFound.description().to_owned(),
        details: None,
    };
    let baseline = BaselineBody {
        error: "not_found",
        message: ApiError::NotFound.description(),
    };
    let mut buffer = Vec::with_capacity(256);
    let mut group = c.benchmark_group("envelope");
    group.bench_function("keyward/api_error_body_to_json", |b| {
        b.iter(|| {
            buffer.clear();
            serde_json::to_writer(&mut buffer, black_box(&body)).map(|()| buffer.len())
        })
    });
    group.bench_function("baseline/str_body_to_json", |b| {
        b.iter(|| {
            buffer.clear();
            serde_json::to_writer(&mut buffer, black_box(&baseline)).map(|()| buffer.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
