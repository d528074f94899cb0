use tracekit::traced;

#[traced]
fn sync(#[cfg(any())] gone: u32, #[cfg(all())] here: u32) -> u32 {
    here
}

#[traced(skip(gone))]
async fn asynchronous(#[cfg(any())] gone: u32, #[cfg(all())] here: u32) -> u32 {
    here
}

struct Loud;
impl tracekit::Hooks for Loud {}

#[traced(hooks = Loud)]
fn hooked(#[cfg(any())] gone: u32, #[cfg(all())] (a, b): (u8, u8)) -> u8 {
    a + b
}

fn main() {
    sync(1);
    drop(asynchronous(2));
    hooked((1, 2));
}
