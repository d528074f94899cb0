#![deny(warnings)]

use tracekit::traced;

struct Client {
    base: String,
}

impl Client {
    #[traced]
    async fn get(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    #[traced]
    async fn set_base(&mut self, base: String) -> &str {
        self.base = base;
        &self.base
    }

    #[traced]
    async fn into_base(self) -> String {
        self.base
    }

    #[traced]
    async fn create(base: &str) -> Client {
        Client { base: base.to_owned() }
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    block_on(async {
        let mut client = Client::create("a/").await;
        assert_eq!(client.get("b").await, "a/b");
        assert_eq!(client.set_base("c/".into()).await, "c/");
        assert_eq!(client.into_base().await, "c/");
    });
}
