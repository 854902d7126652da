//! One client connection: read frames, answer each in order, write the responses.
//!
//! Requests on a connection are handled one after another, as Kafka does (it "mutes" a
//! connection while a request is in flight), so responses go out in request order and a
//! pipelining client's produce requests reach the log in the order they were sent. Responses
//! are buffered and flushed when no further complete request is already waiting.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kalfka_protocol::frame::{check_frame, FrameError};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::api::{self, DispatchOutcome};
use crate::broker::Broker;

const READ_CHUNK: usize = 64 * 1024;

/// Serves one connection until the client closes it, a protocol violation closes it, or the
/// broker shuts down.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    broker: Arc<Broker>,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let (mut reader, writer) = stream.into_split();
    let mut writer = BufWriter::with_capacity(READ_CHUNK, writer);
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let max_frame = broker.config.max_frame_bytes;
    tracing::debug!(%peer, "connection opened");
    loop {
        match check_frame(&buf, max_frame) {
            Ok(len) => {
                let frame: Bytes = buf.split_to(len).freeze();
                let body = frame.slice(4..);
                match api::dispatch(&broker, body).await {
                    DispatchOutcome::Respond(response) => {
                        if let Err(e) = writer.write_all(&response).await {
                            tracing::debug!(%peer, error = %e, "write failed");
                            return;
                        }
                    }
                    DispatchOutcome::NoResponse => {}
                    DispatchOutcome::Close(reason) => {
                        tracing::warn!(%peer, "closing connection: {reason}");
                        let _ = writer.flush().await;
                        return;
                    }
                }
                continue;
            }
            Err(FrameError::Incomplete { .. }) => {}
            Err(e) => {
                tracing::warn!(%peer, "closing connection: bad frame: {e}");
                let _ = writer.flush().await;
                return;
            }
        }
        // No complete request is waiting: send what we have, then read more.
        if let Err(e) = writer.flush().await {
            tracing::debug!(%peer, error = %e, "write failed");
            return;
        }
        buf.reserve(READ_CHUNK);
        tokio::select! {
            read = reader.read_buf(&mut buf) => match read {
                Ok(0) => {
                    if !buf.is_empty() {
                        tracing::debug!(%peer, pending = buf.len(), "client closed mid-frame");
                    }
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "read failed");
                    return;
                }
            },
            _ = stop.changed() => return,
        }
    }
}
