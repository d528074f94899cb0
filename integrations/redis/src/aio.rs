//! `redis::aio::ConnectionLike` for a traced async connection
//! (`MultiplexedConnection`, `ConnectionManager`): the span starts when
//! the command is sent, in the caller's context, and ends with the
//! answer, or cancelled when the future is dropped first.

use redis::aio::ConnectionLike;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::Traced;
use crate::span::CommandSpan;

fn args(cmd: &Cmd) -> impl Iterator<Item = &[u8]> {
    cmd.args_iter().filter_map(|arg| match arg {
        redis::Arg::Simple(bytes) => Some(bytes),
        _ => None,
    })
}

impl<C: ConnectionLike + Send> ConnectionLike for Traced<C> {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let mut span = CommandSpan::start(&self.config, self.inner.get_db(), [args(cmd)]);
        let answer = self.inner.req_packed_command(cmd);
        Box::pin(async move {
            let result = answer.await;
            span.answered(result.as_ref());
            result
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let mut span = CommandSpan::start(
            &self.config,
            self.inner.get_db(),
            pipeline.cmd_iter().map(args),
        );
        let answers = self.inner.req_packed_commands(pipeline, offset, count);
        Box::pin(async move {
            let result = answers.await;
            span.answered_all(result.as_deref());
            result
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}
