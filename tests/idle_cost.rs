//! An idle tracer costs nothing measurable, whatever its configuration:
//! with a schedule delay of zero, its exporter thread uses next to no CPU
//! while no span is made. Read from the thread's own CPU counters (Linux).
#![cfg(target_os = "linux")]

use std::time::Duration;

use tracekit::Tracer;
use tracekit::export::{BatchConfig, Memory};

#[path = "support/threads.rs"]
mod threads;

/// CPU time used so far by this process's thread named `name`, in clock
/// ticks (user + system).
fn cpu_ticks_of(name: &str) -> Option<u64> {
    let stat = threads::task_file(name, "stat")?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

#[test]
fn an_idle_tracer_with_a_zero_schedule_delay_leaves_the_cpu_alone() {
    let tracer = Tracer::builder()
        .exporter(Memory::new())
        .batch(BatchConfig {
            schedule_delay: Duration::ZERO,
            ..BatchConfig::default()
        })
        .build();
    tracer.span("once").start().finish();
    tracer.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let before = cpu_ticks_of("tracekit-export").expect("the exporter thread");
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks_of("tracekit-export").expect("the exporter thread") - before;
    // A tick is 10 ms: 3 ticks in 2 s is 1.5 % of a core at most (it used
    // 11 % when it woke 18,000 times a second).
    assert!(used <= 3, "{used} ticks of CPU in 2 s of idling");
}
