//! # tracekit
//!
//! Function-level distributed tracing. Put `#[traced]` on a function and
//! every call runs in a span of a trace: its arguments become tags, its
//! `Err` or panic is recorded, hooks run around it, and the span finds its
//! parent across nested calls, threads and async tasks.
//!
//! ## Start
//!
//! ```
//! use tracekit::traced;
//!
//! #[traced]
//! fn checkout(user_id: u64, coupon: &str) -> Result<u32, String> {
//!     let total = load_cart(user_id)?;
//!     Ok(total)
//! }
//!
//! #[traced]
//! fn load_cart(user_id: u64) -> Result<u32, String> {
//!     Ok(user_id as u32 * 100)
//! }
//!
//! // In `main`: read the `OTEL_*` variables and install the global tracer.
//! // Without other configuration finished traces print to the console.
//! // Keep the guard: it flushes when dropped.
//! let _tracer = tracekit::init();
//! checkout(7, "SPRING").unwrap();
//! ```
//!
//! prints
//!
//! ```text
//! trace 5b8aa5a2d2c872e8321cf37308d69df2
//! checkout 41.20µs user_id=7 coupon=SPRING
//! └── load_cart 3.10µs user_id=7
//! ```
//!
//! Until a tracer is installed, a traced call costs one relaxed atomic load
//! and records nothing. Under a parent whose trace is not sampled, a traced
//! call makes no span of its own: the parent stays active, so the whole
//! subtree stays unsampled in the same trace.
//!
//! ## Testing what you trace
//!
//! [`testing::capture`] runs code under a fresh trace and returns the spans
//! of that trace only, so tests can run in parallel:
//!
//! ```
//! use tracekit::{TagValue, testing, traced};
//!
//! #[traced]
//! fn checkout(user_id: u64) -> u64 {
//!     user_id
//! }
//!
//! let (out, spans) = testing::capture(|| checkout(7));
//! assert_eq!(out, 7);
//! assert_eq!(spans[0].name, "checkout");
//! assert_eq!(spans[0].tag("user_id"), Some(&TagValue::I64(7)));
//! ```
//!
//! ## What `#[traced]` records
//!
//! - **Arguments** whose types are numbers, `bool`, `char`, strings (`&str`,
//!   `String`, `Cow<str>`), `Option`s of those and references to those
//!   become typed tags named after the argument (type aliases included;
//!   pattern arguments record each name they bind; a parameter under a
//!   `#[cfg(..)]` that is configured out is simply absent). Integers are
//!   recorded as integers when they fit in 64 bits; wider `i128`/`u128`
//!   values as their decimal text. An argument whose type implements
//!   [`Tags`] (`#[derive(Tags)]`, see [below](#types-as-tags)) becomes
//!   one tag per field, `arg.field`. Other types are not recorded unless
//!   asked for in `tags(..)`. Nothing is computed unless the span is
//!   sampled.
//! - **Secrets**: a value of type [`Secret<T>`](Secret) is recorded as
//!   `"[redacted]"` wherever it appears (an argument, a `tags(..)` value,
//!   a `ret` value, an error, a tag set by hand), whatever the options
//!   say, and prints as `[redacted]`; it derefs to `T`, so the function's
//!   code barely changes. Arguments (and fields of derived types) under a
//!   secret name are recorded as `"[redacted]"` too, unless named in
//!   `tags(..)`: `password`, `passwd`, `secret`, `token`, `api_key`,
//!   `apikey`, `access_key`, `private_key`, `authorization`, `auth`,
//!   `credential(s)`, `cookie`, in any case, also as a suffix
//!   (`db_password`), and the names a tracer adds with
//!   [`TracerBuilder::redact_names`]. The policy lives in the runtime
//!   ([`redaction`]), shared with the HTTP layers' recorded headers; each
//!   call site decides once, not at every call.
//!
//!   ```
//!   use tracekit::{Secret, TagValue, testing, traced};
//!
//!   #[traced]
//!   fn charge(amount: u64, card: Secret<String>) -> bool {
//!       card.starts_with("4") && amount > 0
//!   }
//!
//!   let (_, spans) = testing::capture(|| charge(1999, Secret::new("4242 4242".into())));
//!   assert_eq!(spans[0].tag("card"), Some(&TagValue::from("[redacted]")));
//!   ```
//! - **Long strings** are cut at [`DEFAULT_MAX_TAG_LEN`] bytes (change it
//!   with [`TracerBuilder::max_tag_len`]) and end with [`TRUNCATION_MARKER`];
//!   so are span names, tag and log keys and baggage items. Only the kept
//!   part is copied, and a `%value` or `?value` tag stops formatting at
//!   the limit.
//! - **Errors**: a function returning a `Result` (under any alias) that
//!   returns `Err` sets the tag `error = true` and `error.type`, and logs
//!   `event = "error"`, `error.kind` (the type name) and `message` (its
//!   `Display`, else its `Debug`).
//! - **Panics** finish the span the same way with the panic message
//!   (`error.type = "panic"`), then keep unwinding.
//! - **Cancellation**: an async call whose future is dropped before it
//!   completes finishes its span with `cancelled = true`.
//! - **Tracing never changes what the function does**: a `Debug`,
//!   `Display` or [`ToTag`] of yours that panics while a tag, an argument,
//!   the return value or an error is recorded is caught and noted on the
//!   span (a log with `event = "recording_failed"`, the `stage` and the
//!   panic's `message`); the body runs and the call returns its value.
//!
//! ```
//! use tracekit::{TagValue, testing, traced};
//!
//! #[traced]
//! fn login(user: &str, password: &str) -> Result<(), String> {
//!     Err(format!("unknown user {user}"))
//! }
//!
//! let (_, spans) = testing::capture(|| login("ada", "hunter2"));
//! let span = &spans[0];
//! assert_eq!(span.tag("password").and_then(TagValue::as_str), Some("[redacted]"));
//! assert!(span.is_error());
//! let log = span.log_event("error").unwrap();
//! assert_eq!(log.field("message").and_then(TagValue::as_str), Some("unknown user ada"));
//! ```
//!
//! ## Types as tags
//!
//! `#[derive(Tags)]` says once, on a type, how a value of it becomes span
//! tags: one typed tag per field, named `arg.field`, nested types
//! flattened with dots (at most [`MAX_TAG_DEPTH`] levels). An enum
//! records its variant's name under the argument's name, then the
//! variant's fields. Generic types work when their parameters do.
//!
//! ```
//! use tracekit::{Secret, Tags, TagValue, testing, traced};
//!
//! #[derive(Tags)]
//! struct Customer {
//!     id: u64,
//!     #[tags(rename = "tier")]
//!     loyalty_tier: &'static str,
//! }
//!
//! #[derive(Tags)]
//! enum Payment {
//!     Card { last4: &'static str, #[tags(redact)] holder: String },
//!     Invoice,
//! }
//!
//! #[derive(Tags)]
//! struct Order {
//!     id: u64,
//!     customer: Customer,
//!     payment: Payment,
//!     #[tags(debug)]
//!     lines: Vec<u32>,
//!     #[tags(skip)]
//!     notes: String,
//! }
//!
//! #[traced]
//! fn place(order: &Order) {}
//!
//! let order = Order {
//!     id: 7,
//!     customer: Customer { id: 42, loyalty_tier: "gold" },
//!     payment: Payment::Card { last4: "4242", holder: "Ada".into() },
//!     lines: vec![3, 1],
//!     notes: String::new(),
//! };
//! let (_, spans) = testing::capture(|| place(&order));
//! let tag = |key| spans[0].tag(key).cloned();
//! assert_eq!(tag("order.id"), Some(TagValue::I64(7)));
//! assert_eq!(tag("order.customer.tier"), Some(TagValue::from("gold")));
//! assert_eq!(tag("order.payment"), Some(TagValue::from("Card")));
//! assert_eq!(tag("order.payment.holder"), Some(TagValue::from("[redacted]")));
//! assert_eq!(tag("order.lines"), Some(TagValue::from("[3, 1]")));
//! assert_eq!(tag("order.notes"), None);
//! ```
//!
//! | field option | effect |
//! | --- | --- |
//! | `#[tags(skip)]` | not recorded |
//! | `#[tags(rename = "name")]` | the field's part of the key (not empty; also on enum variants, for the variant's name) |
//! | `#[tags(redact)]` | recorded as `"[redacted]"` |
//! | `#[tags(debug)]` / `#[tags(display)]` | its `Debug` / `Display` text, for a type that is not `Tags` |
//! | `#[tags(flatten)]` | its tags under the holder's name, without the field's part |
//!
//! On the type, `#[tags(prefix = "order")]` names its tags `order.field`
//! in place of the argument's (or field's) name, and `#[tags(crate =
//! path)]` names where tracekit is. A field must be [`Tags`] (numbers,
//! strings, `bool`, `char`, [`Secret`], derived types, and `Option`,
//! references, `Box`, `Rc`, `Arc` of those) or carry one of the options;
//! the compiler says which field is not. The keys are joined once per
//! type and name, so a derived argument costs what its fields would as
//! separate arguments; nothing is read when the span is not sampled.
//! [`Span::set_tags`](SpanRef::set_tags) records a value by hand, and
//! [`Tags`] documents a hand-written impl.
//!
//! ## Options
//!
//! | option | effect |
//! | --- | --- |
//! | `name = "db.query"` | the span name (default: the function's name) |
//! | `kind = server` / `client` / `producer` / `consumer` / `internal` | the span kind (default `internal`) |
//! | `skip(a, b)` | do not record these arguments (`self` may be listed; it is never recorded) |
//! | `skip_all` | record no argument |
//! | `args(a, b)` | record only these arguments |
//! | `tags(key = expr, dotted.key = ?expr, "any key" = %expr)` | extra tags: a value (number, bool, string, `Option`), `?` its `Debug`, `%` its `Display` |
//! | `ret` | record the return value (the `Ok` value of a `Result`) as tag `return` |
//! | `err = false` | do not mark `Err` returns as errors (for expected misses) |
//! | `hooks = PATH` | run this [`Hooks`] value (a unit struct, const or static) around every call |
//! | `root` | start a new trace, ignoring the active span |
//! | `child_of = EXPR` | take the parent from any [`AsParent`]: a [`SpanContext`], [`Span`], [`Context`], a reference to one or an `Option` of one |
//! | `follows_from = EXPR` | add a `FollowsFrom` reference to that context; the parent stays the active span |
//! | `crate = PATH` | where the generated code finds tracekit (default `::tracekit`), for a crate that re-exports it: `crate = my_sdk::tracekit` |
//!
//! ```
//! use tracekit::{SpanKind, TagValue, testing, traced};
//!
//! #[derive(Debug)]
//! struct Query {
//!     sql: String,
//! }
//!
//! #[traced(name = "db.query", kind = client, skip(password), ret,
//!          tags(db.system = "postgresql", query = ?query, statement = %query.sql))]
//! fn run(query: &Query, password: &str, limit: u32) -> Result<u32, String> {
//!     Ok(limit)
//! }
//!
//! let (_, spans) = testing::capture(|| run(&Query { sql: "SELECT 1".into() }, "pw", 10));
//! let span = &spans[0];
//! assert_eq!(span.name, "db.query");
//! assert_eq!(span.kind, SpanKind::Client);
//! assert_eq!(span.tag("password"), None);
//! assert_eq!(span.tag("limit"), Some(&TagValue::I64(10)));
//! assert_eq!(span.tag("return"), Some(&TagValue::I64(10)));
//! assert_eq!(span.tag("db.system").and_then(TagValue::as_str), Some("postgresql"));
//! assert_eq!(span.tag("statement").and_then(TagValue::as_str), Some("SELECT 1"));
//! ```
//!
//! `skip_all`, `args`, `err = false` and `root`:
//!
//! ```
//! use tracekit::{testing, traced};
//!
//! #[traced(skip_all)]
//! fn upload(bytes: &[u8], name: &str) {}
//!
//! #[traced(args(id))]
//! fn load(id: u64, verbose: bool) {}
//!
//! #[traced(err = false)]
//! fn cache_get(key: &str) -> Result<String, String> {
//!     Err("miss".into())
//! }
//!
//! #[traced(root)]
//! fn background_job() {}
//!
//! let (_, spans) = testing::capture(|| {
//!     upload(b"..", "a.txt");
//!     load(3, true);
//!     let _ = cache_get("k");
//!     background_job(); // a trace of its own: not captured here
//! });
//! assert!(spans[0].tags.is_empty());
//! assert_eq!(spans[1].tags.len(), 1);
//! assert!(!spans[2].is_error());
//! assert_eq!(spans.len(), 3);
//! ```
//!
//! `child_of` and `follows_from` take a context, for example one received
//! with a message:
//!
//! ```
//! use tracekit::{SpanContext, testing, traced};
//!
//! #[traced(kind = consumer, child_of = parent)]
//! fn handle(parent: Option<&SpanContext>, payload: &str) {}
//!
//! #[traced(follows_from = cause)]
//! fn audit(cause: &SpanContext) {}
//!
//! let (_, spans) = testing::capture(|| {
//!     let sender = tracekit::global().span("send").start();
//!     handle(Some(&sender.context()), "hi");
//!     audit(&sender.context());
//! });
//! let send = spans.iter().find(|s| s.name == "send").unwrap();
//! assert_eq!(spans[0].parent_id, Some(send.span_id));
//! assert_eq!(spans[1].follows_from[0].span_id(), send.span_id);
//! ```
//!
//! ## Function forms
//!
//! Besides free functions, methods and associated functions (sync or
//! async, see below), `#[traced]` takes:
//!
//! - **`-> !`**: a function that never returns is traced; its panic is
//!   recorded like any other.
//! - **`#[track_caller]`**: `Location::caller()` and panic locations inside
//!   still report the caller, because the body then runs inline rather
//!   than in a closure. Its `return`s and `?`s leave through a labeled
//!   block, so the value they leave with is recorded like the one the
//!   body ends with. Two things are lost: a panic is recorded without its
//!   message, and a `return` or `?` inside a macro's arguments
//!   (`vec![parse(a)?]`), which the attribute cannot see, ends the span
//!   without its value.
//!
//! ```
//! use tracekit::{testing, traced};
//!
//! #[traced]
//! #[track_caller]
//! fn called_from() -> u32 {
//!     std::panic::Location::caller().line()
//! }
//!
//! let line = line!() + 1;
//! let (reported, spans) = testing::capture(|| called_from());
//! assert_eq!(reported, line);
//! assert_eq!(spans[0].name, "called_from");
//! ```
//!
//! ## Impl blocks and modules
//!
//! On an `impl` block (inherent or of a trait, generic or not),
//! `#[traced]` traces every method, sync or async, with or without a
//! receiver, named `Type::method` (without generic parameters; for a trait
//! impl, the type's name). On an inline `mod`, it traces every function
//! in it, named as the function, and puts itself on every impl block and
//! inline module inside. The options of the block apply to each method; a
//! method's own `#[traced(..)]` refines them, winning option by option: a
//! method's `skip`, `skip_all` or `args` replaces all three of the block's,
//! its `root` or `child_of` both of the block's, and `tags` are joined
//! (the method's winning for a key). On the block only:
//!
//! | option | effect |
//! | --- | --- |
//! | `name = "prefix"` | spans named `prefix::method` |
//! | `name = "svc.{type}.{method}"` | a format: `{type}` and `{method}` are replaced |
//! | `skip_methods(a, b)` | leave these methods (or a module's functions) untraced |
//! | `pub_only` | trace only `pub` methods and functions (every method of a trait impl counts as public) |
//!
//! On a method, a bare `#[traced(skip)]` leaves it untraced. A `const fn`,
//! associated consts and types, and methods that a macro call inside the
//! block produces are left alone (the attribute sees the macro call, not
//! its output); a trait's provided methods, which are not in the impl, are
//! not traced by it. `#[async_trait]` may stand above or below
//! `#[traced]`: each method is traced as `async_trait` leaves it.
//!
//! ```
//! use tracekit::{SpanKind, TagValue, testing, traced};
//!
//! struct Inventory {
//!     stock: u32,
//! }
//!
//! #[traced(kind = client, tags(component = "inventory"))]
//! impl Inventory {
//!     fn reserve(&self, quantity: u32) -> bool {
//!         quantity <= self.stock
//!     }
//!
//!     #[traced(kind = internal)]
//!     fn count(&self) -> u32 {
//!         self.stock
//!     }
//!
//!     #[traced(skip)]
//!     fn peek(&self) -> u32 {
//!         self.stock
//!     }
//! }
//!
//! let (_, spans) = testing::capture(|| {
//!     let inventory = Inventory { stock: 3 };
//!     (inventory.reserve(2), inventory.count(), inventory.peek())
//! });
//! assert_eq!(spans[0].name, "Inventory::reserve");
//! assert_eq!(spans[0].kind, SpanKind::Client);
//! assert_eq!(spans[1].name, "Inventory::count");
//! assert_eq!(spans[1].kind, SpanKind::Internal);
//! assert_eq!(spans[1].tag("component"), Some(&TagValue::from("inventory")));
//! assert_eq!(spans.len(), 2, "peek is not traced");
//! ```
//!
//! ## Hooks
//!
//! [`Hooks::before_call`] runs after the span starts, with the function's
//! name, location and recorded arguments; [`Hooks::after_call`] runs with
//! the [`Outcome`] before the span finishes. Global hooks come from
//! [`TracerBuilder::hooks`] and wrap the per-function ones. A panicking
//! hook is logged on the span (`event = "hook_failed"`) and the call goes on.
//!
//! ```
//! use tracekit::{Call, Hooks, Outcome, SpanRef, testing, traced};
//!
//! struct SqlHooks;
//!
//! impl Hooks for SqlHooks {
//!     fn before_call(&self, span: &SpanRef, call: &Call<'_>) {
//!         if let Some(table) = call.arg("table") {
//!             span.set_operation_name(format!("SELECT {table}"));
//!         }
//!     }
//!
//!     fn after_call(&self, span: &SpanRef, outcome: &Outcome<'_>) {
//!         span.set_tag("db.ok", !outcome.is_failure());
//!     }
//! }
//!
//! #[traced(hooks = SqlHooks)]
//! fn select(table: &str) -> usize {
//!     3
//! }
//!
//! let (_, spans) = testing::capture(|| select("users"));
//! assert_eq!(spans[0].name, "SELECT users");
//! ```
//!
//! ## Async
//!
//! `#[traced]` works on `async fn` (free, methods, trait impls), on
//! functions returning `impl Future` or `Pin<Box<dyn Future>>`, and on the
//! methods `async-trait` rewrites. The span starts when the function is
//! *called*, so its parent is the span active at the call, even when the
//! future is polled later on another thread (`tokio::spawn(traced_fn())`
//! keeps its parent). The span is active on every poll: between polls its
//! state travels inside the future, and each poll puts it on the polling
//! thread's scope stack, so an async span takes no lock and shares no
//! allocation. [`with_active_span`] reaches it during a poll; a
//! [`Context`] taken inside carries its context, so children started
//! elsewhere still find it as their parent.
//!
//! ```
//! use tracekit::{testing, traced};
//!
//! #[traced]
//! async fn fetch(id: u32) -> u32 {
//!     tokio::task::yield_now().await;
//!     id * 2
//! }
//!
//! #[traced]
//! async fn fetch_all() -> u32 {
//!     let spawned = tokio::spawn(fetch(1)); // parent: fetch_all
//!     fetch(2).await + spawned.await.unwrap()
//! }
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() {
//! let (sum, spans) = testing::capture_async(async { fetch_all().await }).await;
//! assert_eq!(sum, 6);
//! let parent = spans.iter().find(|s| s.name == "fetch_all").unwrap();
//! assert!(spans.iter().filter(|s| s.name == "fetch").all(|s| s.parent_id == Some(parent.span_id)));
//! # }
//! ```
//!
//! An `async fn` becomes, underneath, a function that returns its future
//! (so the span can start at the call): rustdoc shows it as
//! `fn … -> impl Future`. Callers see no difference, in either edition:
//! the future borrows what the arguments borrow, as an `async fn`'s does.
//!
//! ```edition2021
//! use tracekit::traced;
//!
//! struct Cache { items: Vec<String> }
//!
//! impl Cache {
//!     #[traced]
//!     async fn lookup(&self, name: &str) -> Option<&String> {
//!         self.items.iter().find(|item| *item == name)
//!     }
//! }
//!
//! async fn caller(cache: &mut Cache) -> usize {
//!     let found = cache.lookup("pear").await.map_or(0, |item| item.len());
//!     cache.items.push("fig".to_owned()); // the borrow above has ended
//!     found
//! }
//! # let mut cache = Cache { items: vec!["pear".to_owned()] };
//! # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # assert_eq!(runtime.block_on(caller(&mut cache)), 4);
//! ```
//!
//! ```edition2024
//! use tracekit::traced;
//!
//! #[traced]
//! async fn longest<'a>(words: &'a [String], prefix: &str) -> Option<&'a String> {
//!     words.iter().filter(|word| word.starts_with(prefix)).max_by_key(|word| word.len())
//! }
//!
//! async fn caller(words: &mut Vec<String>) -> usize {
//!     let prefix = String::from("p");
//!     let length = longest(words, &prefix).await.map_or(0, |word| word.len());
//!     drop(prefix);
//!     words.push("plum".to_owned()); // both borrows have ended
//!     length
//! }
//! # let mut words = vec!["pear".to_owned(), "peach".to_owned()];
//! # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # assert_eq!(runtime.block_on(caller(&mut words)), 5);
//! ```
//!
//! For futures that are not traced functions, [`FutureExt::in_span`] runs a
//! future inside a span and [`FutureExt::with_current_context`] carries the
//! caller's context into `tokio::spawn`. For threads, take
//! [`context::current`] and [`Context::run`] the work under it there. A
//! future or body of your own that owns its span (a middleware's request,
//! say) can carry a [`CarriedSpan`] instead
//! ([`SpanBuilder::start_carried`]) and make it active for each poll with
//! [`CarriedSpan::in_scope`]: no lock and no shared allocation, as the HTTP
//! layers do.
//!
//! ## Spans by hand
//!
//! ```
//! use tracekit::{SpanKind, testing, with_active_span};
//!
//! let (_, spans) = testing::capture(|| {
//!     let tracer = tracekit::global();
//!     let span = tracer.span("load").kind(SpanKind::Client).tag("rows", 10).start();
//!     let _scope = span.activate(); // active until the scope drops
//!     with_active_span(|s| s.set_tag("retries", 2));
//!     span.set_baggage_item("tenant", "acme"); // travels to later children
//! });
//! assert_eq!(spans[0].tag("retries").and_then(|v| v.as_i64()), Some(2));
//! ```
//!
//! ## Across processes
//!
//! [`Tracer::inject`] writes a context into outgoing headers (an
//! `http::HeaderMap`, a `HashMap`/`BTreeMap` of strings, or a list of
//! pairs); [`Tracer::extract`] reads one from incoming headers. Formats:
//! W3C `traceparent`/`tracestate` and `baggage` (the default), B3 (single or
//! multi header), Jaeger and the OpenTracing text map, chosen with
//! [`TracerBuilder::propagator`] or `OTEL_PROPAGATORS`; a binary form is in
//! [`propagation`]. A malformed header counts as absent (and is counted in
//! [`Tracer::stats`]); it never panics. W3C trace context follows the
//! Level 2 rules (the random trace id flag travels with its trace; a
//! `tracestate` with an invalid member is dropped whole). Baggage that
//! arrives without trace ids is kept: `extract` returns a context that is
//! not [valid](SpanContext::is_valid) but carries it, and spans started
//! under it begin a new trace with that baggage.
//!
//! ```
//! use tracekit::{testing, traced};
//!
//! #[traced(kind = server, child_of = parent)]
//! fn handle(parent: Option<tracekit::SpanContext>) -> http::HeaderMap {
//!     // Pass this span on to the next hop.
//!     let mut outgoing = http::HeaderMap::new();
//!     tracekit::global().inject_current(&mut outgoing);
//!     outgoing
//! }
//!
//! let mut incoming = http::HeaderMap::new();
//! incoming.insert(
//!     "traceparent",
//!     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
//! );
//! let (outgoing, _) = testing::capture(|| handle(tracekit::global().extract(&incoming)));
//! let traceparent = outgoing["traceparent"].to_str().unwrap();
//! assert!(traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
//! ```
//!
//! ## HTTP services
//!
//! [`http`] (feature `http`, on by default) does this for the HTTP stacks,
//! as the Python original did by wrapping `FastAPI.__init__` and
//! `requests.Session.send`: [`http::ServerLayer`], a tower layer for axum,
//! hyper and tonic, gives every incoming request a `server` span that
//! continues the caller's trace and is active in the handler;
//! [`http::ClientLayer`] (hyper's client) and `http::TracingMiddleware`
//! (reqwest, feature `reqwest`) give every outgoing request a `client`
//! span and write its context into the headers. `cargo run --example shop`
//! shows two services traced end to end.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use tracekit::http::ServerLayer;
//!
//! # #[tokio::main]
//! # async fn main() -> std::io::Result<()> {
//! let app = axum::Router::new()
//!     .route("/items/{id}", axum::routing::get(|| async { "apple" }))
//!     .layer(ServerLayer::new()); // with feature `axum`: spans named `GET /items/{id}`
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // The connection info gives each span its `client.address`.
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! # }
//! ```
//!
//! A request sent with no span active starts a trace of its own, as
//! OpenTelemetry's client instrumentations do (`root_spans(false)` on the
//! client layer or middleware sends it untouched instead).
//!
//! ## Databases
//!
//! [`sql`] (feature `sql`, on by default) gives every SQL statement a
//! `client` span named after what it does (`SELECT orders`), with
//! OpenTelemetry's database attributes (`db.system.name`,
//! `db.query.summary`, `db.query.text`, ...) and the text without its
//! values: every literal becomes `?`. With the feature `rusqlite`, the
//! traced SQLite client is one line where the connection is opened:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = tracekit::sql::rusqlite::Connection::open_in_memory()?; // was rusqlite::Connection::open_in_memory()
//! db.execute_batch("CREATE TABLE stock (item TEXT, count INTEGER); INSERT INTO stock VALUES ('apple', 5)")?;
//! let (count, spans) = tracekit::testing::capture(|| {
//!     db.query_row("SELECT count FROM stock WHERE item = ?1", ["apple"], |row| row.get::<_, i64>(0))
//! });
//! assert_eq!(count?, 5);
//! assert_eq!(spans[0].name, "SELECT stock");
//! # Ok(())
//! # }
//! ```
//!
//! The feature `tokio-postgres` adds `tracekit::sql::tokio_postgres::Client`
//! around a tokio-postgres client, and `deadpool-postgres` a traced pool
//! that records the wait for a connection. With `sqlx-postgres`,
//! `sqlx-mysql` or `sqlx-sqlite`, `tracekit::sql::sqlx::Pool::new(pool)`
//! is a sqlx `Executor` itself: `sqlx::query(..).fetch_all(&pool)` stays
//! as it is, transactions included. A statement is traced only under an
//! active span (a request's, a traced function's), unless
//! `DbConfig::root_spans` says otherwise.
//!
//! With the feature `redis` (`redis-aio` for the async connections),
//! `tracekit::redis::Traced::new(connection)` does the same for Redis:
//! `redis::Commands`, `AsyncCommands` and pipelines work on it unchanged,
//! each command a span whose text keeps the command and its key's
//! pattern, never a value (`SET user:?:email ?`).
//!
//! ## Libraries that speak `tracing`, and log lines
//!
//! With the feature `tracing`, `tracekit::tracing::layer()` is a
//! `tracing_subscriber` layer: the spans of hyper, tower-http, sqlx or
//! your own `#[instrument]` code become tracekit spans, in one context
//! with `#[traced]` (each nests in the other), their events the spans'
//! logs. `tracekit::tracing::fmt::TraceIds` wraps a fmt layer's format so
//! each line carries the active span's `trace_id` and `span_id` (JSON or
//! text); with the feature `log`, `tracekit::tracing::log::TraceIds` does
//! the same around any `log` logger.
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let lines = tracing_subscriber::fmt::layer()
//!     .event_format(tracekit_tracing::fmt::TraceIds::new(tracing_subscriber::fmt::format()));
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracekit_tracing::layer())
//!     .with(lines);
//! tracing::subscriber::set_global_default(subscriber).unwrap();
//! ```
//!
//! ## Export
//!
//! Finished spans leave the calling thread without a lock: each thread
//! writes its spans into a buffer of its own and publishes them, and one
//! exporter thread takes what every thread published each schedule delay
//! ([`BatchConfig`]: queue size, batch size, schedule delay, export
//! timeout; `OTEL_BSP_*`), so a finished span reaches the exporters within
//! the delay whatever its thread does next, even when it stays inside an
//! outer span and blocks. A thread's full buffer
//! ([`BatchConfig::thread_buffer_size`] spans) goes to one bounded queue,
//! which the exporter drains in batches; when the queue is full the oldest
//! spans are dropped and counted. [`Tracer::stats`] tells spans started,
//! finished, exported, dropped (by reason), queued and still buffered, and
//! each kind of loss (a full queue, a failed export) is reported on
//! stderr, at most once a minute. [`Tracer::flush`] exports what every
//! thread has finished so far and says if anything was dropped since the
//! last flush. Dropping the guard from `install`/`init` flushes, waiting
//! at most the [shutdown timeout](TracerBuilder::shutdown_timeout) (5 s),
//! so a program that ends normally loses no span; one that ends through
//! `std::process::exit` calls [`flush_at_exit`] first (its docs list what
//! is delivered in each way a process can end).
//!
//! The hot path stays cheap: a span's timestamps are raw clock readings
//! (the TSC where the kernel keeps time with it), converted to wall time on
//! the exporter thread against an anchor to the system clock renewed every
//! second (and the clock's rate re-measured then), so exported times stay
//! within a millisecond of the system clock and a calibration error does
//! not grow into drift; ids come from a per-thread
//! generator; a finished span is a
//! compact record written into its thread's buffer, and becomes a
//! [`SpanRecord`] only on the exporter thread. String tags are [`Text`],
//! kept inline up to [`INLINE_TEXT_LEN`] bytes, and the storage of tags is
//! reused from span to span, so in steady state a traced call allocates
//! nothing, with or without argument tags (`tests/allocations.rs`). When no
//! hook is installed, each argument's value is written straight into its
//! span's tags; with hooks, the arguments are gathered first, so that
//! `before_call` sees them. `BENCHMARKS.md` has the figures against
//! `tracing` and `fastrace`.
//!
//! Where spans go: the console tree by default; an OTLP backend (an
//! OpenTelemetry Collector, Jaeger, Tempo) with `otlp::OtlpExporter`;
//! Zipkin with `zipkin::ZipkinExporter`; a file of JSON lines with
//! `jsonl::JsonLines` (each behind its feature, on by default); or any
//! [`export::Exporter`] of your own. The
//! HTTP exporters try again after failures that may pass (with backoff,
//! and the waits a backend asks for), count what a backend refuses, and
//! never slow the application: a backend that is down costs dropped
//! spans, counted, not blocked calls. `OTEL_TRACES_EXPORTER` chooses among
//! them (see [Configuration](#configuration)).
//!
//! ```
//! use tracekit::{BatchConfig, Tracer, export::Memory};
//!
//! let spans = Memory::new();
//! let tracer = Tracer::builder()
//!     .exporter(spans.clone())
//!     .batch(BatchConfig { max_queue_size: 10_000, ..BatchConfig::default() })
//!     .build();
//! tracer.span("job").start().finish();
//! tracer.flush().unwrap(); // waits until the exporter has it
//! assert_eq!(spans.spans().len(), 1);
//! assert_eq!(tracer.stats().spans_exported, 1);
//! ```
//!
//! ## Configuration
//!
//! [`init`] (or [`from_env`], to adjust the settings in code before
//! installing) reads `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`, `OTEL_TRACES_EXPORTER`
//! (`console`, `otlp` with `OTEL_EXPORTER_OTLP_*`, `zipkin` with
//! `OTEL_EXPORTER_ZIPKIN_*`, `jsonl`, `none`, or several),
//! `OTEL_PROPAGATORS`, `OTEL_BSP_*` and
//! `OTEL_SDK_DISABLED`. The service name and the resource attributes make
//! the tracer's [`Resource`], which its exporters are told before their
//! first batch. The builder sets the same in code:
//!
//! ```
//! use tracekit::{Sampler, Tracer, export::Memory};
//!
//! let spans = Memory::new();
//! let tracer = Tracer::builder()
//!     .service_name("shop")
//!     .sampler(Sampler::parent_based(Sampler::ratio(0.25)))
//!     .exporter(spans.clone())
//!     .build(); // or `.install()` to make it the global tracer
//! # drop(tracer);
//! ```

pub use tracekit_macros::{Tags, traced};
pub use tracekit_runtime::*;

/// OTLP export (feature `otlp`, on by default): [`otlp::OtlpExporter`]
/// sends finished spans to an OpenTelemetry Collector, Jaeger, Tempo or
/// any OTLP/HTTP endpoint.
#[cfg(feature = "otlp")]
pub use tracekit_otlp as otlp;

/// The JSON-lines file exporter (feature `jsonl`, on by default):
/// [`jsonl::JsonLines`] appends each finished span to a file as one line
/// in a documented, versioned schema.
#[cfg(feature = "jsonl")]
pub use tracekit_jsonl as jsonl;

/// Zipkin export (feature `zipkin`, on by default):
/// [`zipkin::ZipkinExporter`] posts finished spans as Zipkin v2 JSON.
#[cfg(feature = "zipkin")]
pub use tracekit_zipkin as zipkin;

/// HTTP instrumentation (feature `http`, on by default; `axum`, `reqwest`,
/// `hyper-util` and `shutdown-signal` add what needs those crates):
/// [`http::ServerLayer`] gives every incoming request a server span,
/// [`http::ClientLayer`] and `http::TracingMiddleware` (reqwest) give every
/// outgoing one a client span and carry the trace in its headers.
#[cfg(feature = "http")]
pub use tracekit_http as http;

/// SQL instrumentation (feature `sql`, on by default; `rusqlite`,
/// `tokio-postgres`, `deadpool-postgres` and `sqlx-*` add the traced
/// clients): a client span for every statement, named after
/// what it does, with OpenTelemetry's database attributes and the query
/// text without its values ([`sql::sanitize`]).
#[cfg(feature = "sql")]
pub use tracekit_sql as sql;

/// Redis instrumentation (feature `redis`; `redis-aio` adds the async
/// connections): [`redis::Traced`] wraps a connection and implements
/// redis's own `ConnectionLike`, so every command and pipeline runs in a
/// client span that never records a value.
#[cfg(feature = "redis")]
pub use tracekit_redis as redis;

/// The `tracing` bridge (feature `tracing`; `log` adds the `log` crate's
/// side): [`tracing::layer()`] makes the spans and events of libraries
/// that speak `tracing` part of tracekit's traces, in one context with
/// `#[traced]`; [`tracing::fmt::TraceIds`] puts the trace ids on
/// tracing-subscriber's log lines.
#[cfg(feature = "tracing")]
pub use tracekit_tracing as tracing;

/// Installs a tracer configured from the `OTEL_*` environment variables
/// (see [`from_env`] and [`TracerBuilder::from_env_with`]), where
/// `OTEL_TRACES_EXPORTER` may name the exporters of this build's features
/// ([`exporters`]: `otlp`, `zipkin`, `jsonl`) beside `console` and `none`;
/// `OTEL_SDK_DISABLED=true` installs nothing. Keep the returned guard
/// alive: it flushes on drop.
///
/// ```no_run
/// // OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
/// let _tracer = tracekit::init();
/// ```
pub fn init() -> TracerGuard {
    init_with(&exporters())
}

/// A builder configured from the `OTEL_*` environment variables, where
/// `OTEL_TRACES_EXPORTER` may name every exporter of this build's features
/// ([`exporters`]); what [`init`] installs, to adjust in code first. Set in
/// code, a setting wins over its variable; [`default_exporters`] names the
/// exporters to use when the variable is not set.
///
/// [`default_exporters`]: TracerBuilder::default_exporters
///
/// ```no_run
/// // OTLP unless OTEL_TRACES_EXPORTER says otherwise.
/// let _tracer = tracekit::from_env()
///     .service_name("checkout")
///     .default_exporters("otlp")
///     .install();
/// ```
pub fn from_env() -> TracerBuilder {
    TracerBuilder::from_env_with(&exporters())
}

/// The exporters `OTEL_TRACES_EXPORTER` may name beside `console` and
/// `none`, with this build's features: `otlp` (configured by
/// `OTEL_EXPORTER_OTLP_*`), `zipkin` (`OTEL_EXPORTER_ZIPKIN_*`) and `jsonl`
/// (the file in `TRACEKIT_JSONL_PATH`, default `traces.jsonl`).
///
/// ```
/// let names: Vec<&str> = tracekit::exporters().iter().map(|e| e.name).collect();
/// assert!(names.contains(&"jsonl"));
/// ```
pub fn exporters() -> Vec<NamedExporter> {
    vec![
        #[cfg(feature = "otlp")]
        NamedExporter {
            name: "otlp",
            build: || {
                let exporter = otlp::OtlpBuilder::from_env()
                    .and_then(otlp::OtlpBuilder::build)
                    .map_err(|err| err.to_string())?;
                Ok(Box::new(exporter))
            },
        },
        #[cfg(feature = "zipkin")]
        NamedExporter {
            name: "zipkin",
            build: || {
                let exporter = zipkin::ZipkinBuilder::from_env()
                    .and_then(zipkin::ZipkinBuilder::build)
                    .map_err(|err| err.to_string())?;
                Ok(Box::new(exporter))
            },
        },
        #[cfg(feature = "jsonl")]
        NamedExporter {
            name: "jsonl",
            build: || {
                let exporter = jsonl::JsonLines::from_env()
                    .map_err(|err| format!("{}: {err}", jsonl::PATH_VARIABLE))?;
                Ok(Box::new(exporter))
            },
        },
    ]
}
