//! The retry policies behave as their spec numbers say.

use std::time::Duration;

use keyward_errors::{Jitter, RetryClass};

#[test]
fn permanent_never_retries() {
    let policy = RetryClass::Permanent.policy();
    assert_eq!(policy.delay_after(1, None, 0.5), None);
    assert_eq!(
        policy.delay_after(1, Some(Duration::from_secs(3)), 0.5),
        None
    );
}

#[test]
fn transient_backs_off_exponentially_up_to_its_attempts() {
    let policy = RetryClass::Transient.policy();
    let max = policy.max_attempts;
    assert!(max > 1);
    let mut previous = Duration::ZERO;
    for failed in 1..max {
        // The top of the jitter range is the exponential delay itself.
        let delay = policy.delay_after(failed, None, 1.0).expect("retries left");
        assert!(delay >= previous, "attempt {failed}");
        assert!(delay <= policy.max_delay);
        previous = delay;
    }
    assert_eq!(policy.delay_after(max, None, 1.0), None, "attempts used up");
    assert_eq!(policy.delay_after(0, None, 1.0), None, "nothing failed yet");
}

#[test]
fn jitter_stays_within_its_range() {
    for class in RetryClass::ALL {
        let policy = class.policy();
        if !policy.retries() {
            continue;
        }
        let top = policy.delay_after(1, None, 1.0).expect("retries");
        let bottom = policy.delay_after(1, None, 0.0).expect("retries");
        match policy.jitter {
            Jitter::None => assert_eq!(top, bottom),
            Jitter::Full => assert_eq!(bottom, Duration::ZERO),
            Jitter::Equal => assert_eq!(bottom, top / 2),
            _ => {}
        }
        // Out-of-range samples are clamped, never a panic.
        for sample in [f64::NAN, f64::INFINITY, -3.0, 7.0] {
            let delay = policy.delay_after(1, None, sample).expect("retries");
            assert!(delay <= top);
        }
    }
}

#[test]
fn throttled_honours_retry_after() {
    let policy = RetryClass::Throttled.policy();
    assert!(policy.honor_retry_after);
    let long = Duration::from_secs(42);
    assert_eq!(policy.delay_after(1, Some(long), 0.0), Some(long));
    // A short Retry-After never shortens the backoff.
    let short = Duration::from_millis(1);
    assert!(policy.delay_after(1, Some(short), 1.0).expect("retries") >= policy.initial_delay / 2);
}

#[test]
fn huge_attempt_numbers_saturate() {
    let policy = RetryClass::Transient.policy();
    // Past max_attempts there is no delay at all; the exponent never overflows.
    assert_eq!(policy.delay_after(u32::MAX, None, 1.0), None);
}
