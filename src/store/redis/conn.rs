//! The connection under a [`RedisStore`](super::RedisStore): one server or a cluster,
//! behind one type, and the `EVALSHA` every operation sends.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, ErrorKind, RedisError, RedisFuture, ServerErrorKind, Value};

use super::scripts::Lua;

/// A single server (or a primary with replicas) through a `ConnectionManager`, or a
/// Redis Cluster through redis-rs's cluster client, which follows MOVED and ASK
/// redirections and refreshes its slot map when the topology changes. Cloning is
/// cheap: clones share the connections.
#[derive(Clone)]
pub(super) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Conn {
    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// An `EVALSHA` of `lua` with room for its keys and arguments, built straight into one
/// command buffer (keys and numbers are written once, with no intermediate strings).
pub(super) fn evalsha(lua: &Lua, keys: usize) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(lua.script.get_hash()).arg(keys);
    cmd
}

/// Sends `cmd` (an [`evalsha`] of `lua`); when the server does not know the script
/// (after a restart, a `SCRIPT FLUSH`, or a failover to a node that never saw it), loads
/// it and sends the command again. On a cluster `SCRIPT LOAD` goes to every primary.
pub(super) async fn run(conn: &mut Conn, lua: &Lua, cmd: &Cmd) -> Result<Value, RedisError> {
    match cmd.query_async::<Value>(conn).await {
        Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
            redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(lua.source)
                .query_async::<Value>(conn)
                .await?;
            cmd.query_async(conn).await
        }
        other => other,
    }
}
