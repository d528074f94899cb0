#![deny(warnings)]

use tracekit::traced;

#[traced]
async fn fetch(id: u32, name: &str) -> String {
    format!("{id}:{name}")
}

#[traced]
async fn nothing() {}

#[traced]
async fn fallible(ok: bool) -> Result<u8, std::io::Error> {
    if ok { Ok(1) } else { Err(std::io::Error::other("no")) }
}

#[traced]
async fn borrowed(text: &str) -> &str {
    &text[1..]
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    block_on(async {
        assert_eq!(assert_send(fetch(1, "a")).await, "1:a");
        nothing().await;
        assert!(fallible(false).await.is_err());
        assert_eq!(borrowed("abc").await, "bc");
    });
}
