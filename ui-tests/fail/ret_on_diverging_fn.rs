use tracekit::traced;

#[traced(ret)]
fn never() -> ! {
    loop {}
}

fn main() {}
