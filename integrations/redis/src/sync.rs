//! `redis::ConnectionLike` for a traced synchronous connection.

use redis::{ConnectionLike, RedisResult, Value};

use crate::Traced;
use crate::command::unpack;
use crate::span::CommandSpan;

impl<C: ConnectionLike> ConnectionLike for Traced<C> {
    fn req_packed_command(&mut self, cmd: &[u8]) -> RedisResult<Value> {
        let commands = unpack(cmd);
        let mut span = CommandSpan::start(
            &self.config,
            self.inner.get_db(),
            commands.iter().map(|args| args.iter().copied()),
        );
        let result = self.inner.req_packed_command(cmd);
        span.answered(result.as_ref());
        result
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        let commands = unpack(cmd);
        let mut span = CommandSpan::start(
            &self.config,
            self.inner.get_db(),
            commands.iter().map(|args| args.iter().copied()),
        );
        let result = self.inner.req_packed_commands(cmd, offset, count);
        span.answered_all(result.as_deref());
        result
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }

    fn supports_pipelining(&self) -> bool {
        self.inner.supports_pipelining()
    }

    fn check_connection(&mut self) -> bool {
        self.inner.check_connection()
    }

    fn is_open(&self) -> bool {
        self.inner.is_open()
    }
}
