//! One client connection: read frames, answer each in order, write the responses.
//!
//! Requests on a connection are answered strictly in request order. Most requests are also
//! *handled* one after another, as Kafka does (it "mutes" a connection while a request is in
//! flight). The exception is a run of Produce requests: a produce appends to the logs as soon
//! as it is first polled (before its first await), then may wait for a group-commit fsync; the
//! next pipelined produce is started while the previous one waits, so a pipelining producer
//! (librdkafka, Java: up to 5 in flight) shares fsyncs instead of paying one per request, and
//! its batches still reach each partition in send order. Any other request waits until every
//! earlier one has been answered. Responses are buffered and flushed when nothing further is
//! ready to write.
//!
//! Limits: the socket is read while requests run (up to [`MAX_BUFFERED`] bytes ahead), so a
//! client that resets its connection while a long-poll Fetch is parked is noticed at once and
//! its descriptor freed. A connection is closed when its client does not read a response
//! within `response.write.timeout.ms`, does not finish a frame it started within
//! `frame.read.timeout.ms`, or sends nothing for `connections.max.idle.ms` with no request in
//! flight. Protocol violations are logged as warnings, rate limited.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kalfka_protocol::frame::{check_frame, FrameError};
use kalfka_protocol::header::peek_api_key_version;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::api::{self, DispatchOutcome};
use crate::broker::Broker;
use crate::security::session::Session;

const READ_CHUNK: usize = 64 * 1024;
/// Most room reserved ahead of the bytes received, for the rest of a large frame.
const MAX_RESERVE_AHEAD: usize = 1024 * 1024 + READ_CHUNK;
/// Most bytes buffered ahead of the request being handled: beyond this the socket is not
/// read until earlier requests are answered.
const MAX_BUFFERED: usize = 4 * 1024 * 1024;
/// Produce requests that may be in flight (appended, waiting for fsync) on one connection.
const MAX_IN_FLIGHT_PRODUCES: usize = 16;
/// API key of Produce, the one request that may start before earlier ones are answered.
const PRODUCE_KEY: i16 = 0;

type Pending = Pin<Box<dyn Future<Output = DispatchOutcome> + Send>>;

/// A request in the connection's answer queue.
enum InFlight {
    /// Answered; waiting for the requests before it.
    Done(DispatchOutcome),
    /// Still running (a produce waiting for its fsync).
    Running(Pending),
}

/// Why the connection loop stops.
enum Stop {
    /// Client closed, I/O error or broker shutdown (logged at debug where useful).
    Quiet,
    /// A protocol violation: logged as a warning.
    Violation(String),
}

/// Serves one connection until the client closes it, a protocol violation closes it, or the
/// broker shuts down.
pub async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    broker: Arc<Broker>,
    stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    tracing::debug!(%peer, "connection opened");
    let write_timeout = Duration::from_millis(broker.config.write_timeout_ms);
    let mut conn = Connection::new(stream, peer, broker, stop);
    match conn.run(peer).await {
        Stop::Quiet => {}
        Stop::Violation(reason) => {
            if let Some(suppressed) = super::warn_limit::admit() {
                tracing::warn!(%peer, suppressed, "closing connection: {reason}");
            } else {
                tracing::debug!(%peer, "closing connection: {reason}");
            }
        }
    }
    let _ = tokio::time::timeout(write_timeout, conn.writer.flush()).await;
}

struct Connection {
    reader: tokio::net::tcp::OwnedReadHalf,
    writer: BufWriter<OwnedWriteHalf>,
    buf: BytesMut,
    peer: SocketAddr,
    /// Who is on this connection (replaced, never changed, when authentication completes).
    session: Arc<Session>,
    broker: Arc<Broker>,
    stop: watch::Receiver<bool>,
    queue: VecDeque<InFlight>,
    /// Whether every request in `queue` is a produce.
    only_produces: bool,
    /// When the last byte was read or written.
    last_activity: Instant,
    /// When the partly received frame at the head of `buf` started arriving.
    frame_started: Option<Instant>,
}

impl Connection {
    fn new(
        stream: TcpStream,
        peer: SocketAddr,
        broker: Arc<Broker>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        let (reader, writer) = stream.into_split();
        Connection {
            reader,
            writer: BufWriter::with_capacity(READ_CHUNK, writer),
            buf: BytesMut::with_capacity(READ_CHUNK),
            peer,
            session: Arc::new(Session::anonymous(peer)),
            broker,
            stop,
            queue: VecDeque::new(),
            only_produces: true,
            last_activity: Instant::now(),
            frame_started: None,
        }
    }

    /// When the connection is to be closed for inactivity if nothing happens first: the
    /// frame deadline while a frame is partly received, the idle deadline while nothing is in
    /// flight.
    fn deadline(&self) -> Option<(Instant, &'static str)> {
        let config = &self.broker.config;
        if let Some(started) = self.frame_started {
            return Some((
                started + Duration::from_millis(config.frame_read_timeout_ms),
                "the client did not finish sending a request within frame.read.timeout.ms",
            ));
        }
        self.queue.is_empty().then(|| {
            (
                self.last_activity + Duration::from_millis(config.connections_max_idle_ms),
                "idle for connections.max.idle.ms",
            )
        })
    }

    /// Notes whether the buffer now ends in a partly received frame.
    fn track_partial_frame(&mut self) {
        let partial = !self.buf.is_empty()
            && matches!(
                check_frame(&self.buf, self.broker.config.max_frame_bytes),
                Err(FrameError::Incomplete { .. })
            );
        match (partial, self.frame_started) {
            (true, None) => self.frame_started = Some(Instant::now()),
            (false, Some(_)) => self.frame_started = None,
            _ => {}
        }
    }

    async fn run(&mut self, peer: SocketAddr) -> Stop {
        loop {
            // Start every buffered request that may start now.
            loop {
                match self.next_frame() {
                    Ok(Some(body)) => self.start(body).await,
                    Ok(None) => break,
                    Err(stop) => return stop,
                }
            }
            // Write out answered requests, in order.
            if let Err(stop) = self.write_done().await {
                return stop;
            }
            let write_timeout = Duration::from_millis(self.broker.config.write_timeout_ms);
            match tokio::time::timeout(write_timeout, self.writer.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "write failed");
                    return Stop::Quiet;
                }
                Err(_) => return Stop::Violation(not_reading(write_timeout)),
            }
            // Writing emptied the queue: a request that had to wait may start now.
            if self.frame_waiting() && self.queue.is_empty() {
                continue;
            }
            // Read while requests run (up to a bound), so a reset or closed connection is
            // noticed even while a long-poll fetch is parked.
            let can_read = self.buf.len() < MAX_BUFFERED;
            self.track_partial_frame();
            let deadline = self.deadline();
            // Wait for the oldest running request, more bytes, a deadline, or shutdown.
            if can_read {
                self.reserve_for_next_frame();
            }
            let head = poll_fn(|cx| match self.queue.front_mut() {
                Some(InFlight::Running(fut)) => fut.as_mut().poll(cx),
                _ => Poll::Pending,
            });
            let expiry = async {
                match deadline {
                    Some((at, _)) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                outcome = head => {
                    if let Some(front) = self.queue.front_mut() {
                        *front = InFlight::Done(outcome);
                    }
                }
                read = self.reader.read_buf(&mut self.buf), if can_read => match read {
                    Ok(0) => {
                        if !self.buf.is_empty() {
                            tracing::debug!(%peer, pending = self.buf.len(), "client closed mid-frame");
                        }
                        return Stop::Quiet;
                    }
                    Ok(_) => self.last_activity = Instant::now(),
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "read failed");
                        return Stop::Quiet;
                    }
                },
                _ = expiry => {
                    let why = deadline.map_or("timed out", |(_, why)| why);
                    return if self.frame_started.is_some() {
                        Stop::Violation(why.to_string())
                    } else {
                        tracing::debug!(%peer, "closing connection: {why}");
                        Stop::Quiet
                    };
                }
                _ = self.stop.changed() => return Stop::Quiet,
            }
        }
    }

    /// The body of the next complete frame if that request may start now; `None` when no
    /// complete frame is buffered or it must wait for earlier requests.
    fn next_frame(&mut self) -> Result<Option<Bytes>, Stop> {
        let len = match check_frame(&self.buf, self.broker.config.max_frame_bytes) {
            Ok(len) => len,
            Err(FrameError::Incomplete { .. }) => return Ok(None),
            Err(e) => return Err(Stop::Violation(format!("bad frame: {e}"))),
        };
        let is_produce =
            peek_api_key_version(&self.buf[4..len]).is_some_and(|(key, _, _)| key == PRODUCE_KEY);
        let may_start = self.queue.is_empty()
            || (is_produce && self.only_produces && self.queue.len() < MAX_IN_FLIGHT_PRODUCES);
        if !may_start {
            return Ok(None);
        }
        if self.queue.is_empty() {
            self.only_produces = true;
        }
        self.only_produces &= is_produce;
        let frame = self.buf.split_to(len).freeze();
        Ok(Some(frame.slice(4..)))
    }

    /// Makes room for the rest of a partly received frame, up to [`MAX_RESERVE_AHEAD`] (so a
    /// large produce arrives in a few reads, not one per [`READ_CHUNK`], while a client that
    /// announces a large frame and sends nothing costs no more than that), or for one chunk.
    fn reserve_for_next_frame(&mut self) {
        let missing = match check_frame(&self.buf, self.broker.config.max_frame_bytes) {
            Err(FrameError::Incomplete {
                needed: Some(total),
            }) => total.saturating_sub(self.buf.len()),
            _ => 0,
        };
        self.buf
            .reserve(missing.clamp(READ_CHUNK, MAX_RESERVE_AHEAD));
    }

    /// True when a complete frame is buffered but had to wait (so reading more can wait too,
    /// bounding the buffer).
    fn frame_waiting(&self) -> bool {
        check_frame(&self.buf, self.broker.config.max_frame_bytes).is_ok()
    }

    /// Starts a request: polls it once right away, so a produce's appends happen now, in
    /// request order, and queues it for its answer.
    async fn start(&mut self, body: Bytes) {
        let broker = Arc::clone(&self.broker);
        let peer = self.peer;
        let session = Arc::clone(&self.session);
        let mut fut: Pending =
            Box::pin(async move { api::dispatch(&broker, body, peer, &session).await });
        let first = poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
        self.queue.push_back(match first {
            Poll::Ready(outcome) => InFlight::Done(outcome),
            Poll::Pending => InFlight::Running(fut),
        });
    }

    /// Writes the answers at the head of the queue that are done.
    async fn write_done(&mut self) -> Result<(), Stop> {
        while let Some(InFlight::Done(_)) = self.queue.front() {
            let Some(InFlight::Done(outcome)) = self.queue.pop_front() else {
                break;
            };
            match outcome {
                DispatchOutcome::Respond(response) => {
                    let timeout = Duration::from_millis(self.broker.config.write_timeout_ms);
                    match tokio::time::timeout(timeout, self.writer.write_all(&response)).await {
                        Ok(Ok(())) => self.last_activity = Instant::now(),
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "write failed");
                            return Err(Stop::Quiet);
                        }
                        Err(_) => return Err(Stop::Violation(not_reading(timeout))),
                    }
                }
                DispatchOutcome::NoResponse => {}
                DispatchOutcome::Close(reason) => return Err(Stop::Violation(reason)),
            }
        }
        Ok(())
    }
}

fn not_reading(timeout: Duration) -> String {
    format!(
        "the client did not read its responses for {} ms (response.write.timeout.ms)",
        timeout.as_millis()
    )
}
