//! `spec-compat` on two synthetic 5,000-code specs: parse both, compare,
//! render the report (everything the command does but reading files and git).
//!
//! cargo bench -p xtask --bench compat

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use xtask::compat;
use xtask::spec::Spec;
use xtask::synthetic::{synthetic_spec, synthetic_spec_changed};

const CODES: usize = 5_000;

fn bench(c: &mut Criterion) {
    let old = synthetic_spec(CODES);
    let new = synthetic_spec_changed(CODES);
    let mut group = c.benchmark_group("spec_compat_5000_codes");
    group.sample_size(20);
    group.bench_function("parse_compare_render", |b| {
        b.iter(|| {
            let old = Spec::parse("old.toml", black_box(&old)).expect("valid");
            let new = Spec::parse("new.toml", black_box(&new)).expect("valid");
            let report = compat::compare(&old, &new);
            black_box(report.render())
        });
    });
    let (old, new) = (
        Spec::parse("old.toml", &old).expect("valid"),
        Spec::parse("new.toml", &new).expect("valid"),
    );
    group.bench_function("compare_only", |b| {
        b.iter(|| black_box(compat::compare(black_box(&old), black_box(&new))));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
