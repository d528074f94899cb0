// A scope belongs to the thread that opened it: it cannot move to another.

fn main() {
    let span = tracekit::global().span("work").start();
    let scope = span.activate();
    std::thread::spawn(move || drop(scope));
}
