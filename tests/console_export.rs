//! The console exporter prints each finished trace as an indented tree.

use tracekit::export::Console;
use tracekit::traced;

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

#[traced(kind = client)]
fn charge(amount: u32) -> Result<(), Declined> {
    if amount > 10 { Err(Declined) } else { Ok(()) }
}

#[traced]
fn load_cart(user_id: u64) -> u32 {
    user_id as u32 * 10
}

#[traced(root)]
fn checkout(user_id: u64) -> Result<(), Declined> {
    let amount = load_cart(user_id);
    charge(amount)
}

#[test]
fn a_traced_call_tree_prints_once_with_durations_tags_and_errors() {
    let console = Console::buffer();
    let _tracer = tracekit::Tracer::builder()
        .exporter(console.clone())
        .install();
    let _ = checkout(7);
    tracekit::global().flush().unwrap();

    let text = console.contents();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[0].starts_with("trace ") && lines[0].len() == "trace ".len() + 32,
        "{text}"
    );
    assert!(
        lines[1].starts_with("checkout ") && lines[1].contains(" user_id=7 error=true"),
        "{text}"
    );
    assert_eq!(
        lines[2], "│ ! error console_export::Declined: card declined",
        "{text}"
    );
    assert!(
        lines[3].starts_with("├── load_cart ") && lines[3].ends_with(" user_id=7"),
        "{text}"
    );
    assert!(
        lines[4].starts_with("└── charge ") && lines[4].contains("[client] amount=70 error=true"),
        "{text}"
    );
    assert_eq!(
        lines[5], "      ! error console_export::Declined: card declined",
        "{text}"
    );
    // Every span line carries a duration such as "12.34µs".
    assert!(
        [1, 3, 4]
            .iter()
            .map(|&i| lines[i])
            .all(|l| l.contains("s ")),
        "{text}"
    );
}

#[test]
fn a_root_exported_before_children_of_other_threads_still_prints_one_tree() {
    let console = Console::buffer();
    let tracer = tracekit::Tracer::builder()
        .exporter(console.clone())
        .build();
    // The children finish on threads that exit (their spans are queued);
    // the root finishes after them, and the exporter takes it first, from
    // its thread's buffer.
    let root = tracer.span("fan out").start();
    let context = root.context();
    let workers: Vec<_> = (0..2)
        .map(|i| {
            let (tracer, context) = (tracer.clone(), context.clone());
            std::thread::spawn(move || {
                let name = format!("worker {i}");
                tracer.span(name).child_of(&context).start().finish();
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    root.finish();
    tracer.flush().unwrap();

    let text = console.contents();
    let tree = &text[text.find("fan out").expect("the root printed")..];
    assert!(
        tree.contains("├── worker") && tree.contains("└── worker"),
        "{text}"
    );
}
