use tracekit::traced;

#[traced]
fn fail(code: i32) -> ! {
    panic!("failed with {code}")
}

#[traced]
fn exit_now() -> ! {
    std::process::exit(0)
}

#[traced(err = false, skip_all)]
#[track_caller]
fn fail_at_caller() -> ! {
    panic!("caller's fault")
}

fn main() {
    if std::env::args().count() > 10 {
        fail_at_caller();
    }
    if std::env::args().count() > 5 {
        exit_now();
    }
    std::panic::set_hook(Box::new(|_| {}));
    let _ = std::panic::catch_unwind(|| fail(1));
}
