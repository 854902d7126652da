//! Request handling: one module per API family, dispatched from one routing table.
//!
//! [`ROUTES`] lists every API the broker serves with the version range it advertises; the
//! ApiVersions answer is built from the same table, so what is advertised cannot drift from
//! what is dispatched. Versions inside an advertised range that the broker does not serve (old
//! Produce and Fetch versions that predate record batch v2) are still decoded and answered with
//! UNSUPPORTED_VERSION, never with a closed connection.

mod api_versions;
mod cluster;
pub(crate) mod configs;
mod consumer_groups;
mod delete_records;
mod fetch;
pub(crate) mod groups;
pub(crate) mod list_offsets;
mod metadata;
pub(crate) mod offsets;
pub(crate) mod partitions;
pub(crate) mod produce;
mod producer_id;
pub(crate) mod producers;
mod quotas;
mod sasl;
mod share_fetch;
mod share_groups;
pub(crate) mod share_offsets;
mod topic_partitions;
pub(crate) mod topics;
pub(crate) mod transactions;
mod txn_markers;

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kalfka_protocol::frame::{begin_frame, finish_frame};
use kalfka_protocol::header::{
    peek_api_key_version, response_header_version, RequestHeader, ResponseHeader,
};
use kalfka_protocol::messages::Message;

use crate::broker::Broker;
use crate::security::session::Session;

/// What a handler is given besides its request body.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The broker's shared state.
    pub broker: Arc<Broker>,
    /// The decoded request header.
    pub header: RequestHeader,
    /// The client's address.
    pub peer: SocketAddr,
    /// Who sent the request, on which listener.
    pub session: Arc<Session>,
}

impl RequestContext {
    /// The request's API version.
    pub fn version(&self) -> i16 {
        self.header.api_version
    }

    /// The client's host as Kafka shows it in group descriptions (`/127.0.0.1`).
    pub fn client_host(&self) -> String {
        format!("/{}", self.peer.ip())
    }
}

/// The result of handling one request frame.
#[derive(Debug)]
pub enum DispatchOutcome {
    /// A complete response frame (size prefix included) to write back.
    Respond(Bytes),
    /// The request gets no response (Produce with acks=0).
    NoResponse,
    /// The connection must be closed; the reason is logged.
    Close(String),
}

type HandlerFuture = Pin<Box<dyn Future<Output = DispatchOutcome> + Send>>;

/// One API the broker serves.
pub struct Route {
    /// Kafka API key.
    pub api_key: i16,
    /// The API's name (`Produce`, `Fetch`, ...), as metrics label it.
    pub name: &'static str,
    /// Lowest advertised version.
    pub min_version: i16,
    /// Highest advertised version.
    pub max_version: i16,
    /// Decodes the body, handles it and encodes the response.
    pub handle: fn(RequestContext, Bytes) -> HandlerFuture,
}

/// Builds a [`Route`] from a request type, advertised range and an async handler returning
/// the response (or `Option` of it, for APIs that may stay silent).
macro_rules! route {
    ($req:ty, $min:expr, $max:expr, $handler:path) => {
        route!(@build $req, $min, $max, |ctx, req| async move { Some($handler(&ctx, req).await) })
    };
    (optional $req:ty, $min:expr, $max:expr, $handler:path) => {
        route!(@build $req, $min, $max, |ctx, req| async move { $handler(&ctx, req).await })
    };
    (@build $req:ty, $min:expr, $max:expr, $call:expr) => {
        Route {
            api_key: <$req as Message>::API_KEY,
            name: api_name(<$req as Message>::NAME),
            min_version: $min,
            max_version: $max,
            handle: |ctx: RequestContext, body: Bytes| -> HandlerFuture {
                Box::pin(async move {
                    let version = ctx.version();
                    let req = match <$req>::decode_from(&body, version) {
                        Ok(req) => req,
                        Err(e) => {
                            return DispatchOutcome::Close(format!(
                                "malformed {} v{version}: {e}",
                                stringify!($req)
                            ))
                        }
                    };
                    let call = $call;
                    match call(ctx.clone(), req).await {
                        Some(resp) => {
                            record_errors(&ctx, &resp);
                            encode_response(&ctx.header, &resp)
                        }
                        None => DispatchOutcome::NoResponse,
                    }
                })
            },
        }
    };
}

use kalfka_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, DescribeTransactionsRequest, EndTxnRequest,
    ListTransactionsRequest, TxnOffsetCommitRequest,
};
use kalfka_protocol::messages::{
    AlterClientQuotasRequest, DescribeClientQuotasRequest, DescribeTopicPartitionsRequest,
};
use kalfka_protocol::messages::{
    AlterConfigsRequest, CreatePartitionsRequest, DescribeClusterRequest, DescribeConfigsRequest,
    DescribeLogDirsRequest, ElectLeadersRequest, IncrementalAlterConfigsRequest,
};
use kalfka_protocol::messages::{
    ApiVersionsRequest, CreateTopicsRequest, DeleteTopicsRequest, FetchRequest,
    InitProducerIdRequest, ListOffsetsRequest, MetadataRequest, ProduceRequest,
};
use kalfka_protocol::messages::{ConsumerGroupDescribeRequest, ConsumerGroupHeartbeatRequest};
use kalfka_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, FindCoordinatorRequest, HeartbeatRequest,
    JoinGroupRequest, LeaveGroupRequest, ListGroupsRequest, OffsetCommitRequest,
    OffsetDeleteRequest, OffsetFetchRequest, SyncGroupRequest,
};

/// `ProduceRequest` -> `Produce`.
const fn api_name(request: &'static str) -> &'static str {
    match request.as_bytes().split_last_chunk::<7>() {
        Some((name, b"Request")) => match std::str::from_utf8(name) {
            Ok(name) => name,
            Err(_) => request,
        },
        _ => request,
    }
}

/// Counts the error codes of a response (Kafka's `errorCounts()`), when metrics are on.
fn record_errors<M: Message>(ctx: &RequestContext, response: &M) {
    let metrics = &ctx.broker.metrics;
    if metrics.enabled() {
        let api_key = ctx.header.api_key;
        response.for_each_error_code(&mut |code| metrics.record_error(api_key, code));
    }
}

/// Every API served, with the version range advertised in ApiVersions.
///
/// Minimums reach down to 0 because librdkafka before 2.11.1 (Debian's kcat) enables features
/// only when exact old versions are inside the advertised range, and some clients ignore the
/// minimum altogether; see `api::produce` and `api::fetch` for the old versions answered with
/// UNSUPPORTED_VERSION.
pub static ROUTES: &[Route] = &[
    route!(optional ProduceRequest, 0, 12, produce::handle),
    route!(FetchRequest, 0, 17, fetch::handle),
    route!(ListOffsetsRequest, 0, 10, list_offsets::handle),
    route!(MetadataRequest, 0, 12, metadata::handle),
    route!(ApiVersionsRequest, 0, 4, api_versions::handle),
    route!(CreateTopicsRequest, 0, 7, topics::create),
    route!(DeleteTopicsRequest, 0, 6, topics::delete),
    route!(InitProducerIdRequest, 0, 5, producer_id::handle),
    route!(FindCoordinatorRequest, 0, 6, groups::find_coordinator),
    route!(JoinGroupRequest, 0, 9, groups::join_group),
    route!(SyncGroupRequest, 0, 5, groups::sync_group),
    route!(HeartbeatRequest, 0, 4, groups::heartbeat),
    route!(LeaveGroupRequest, 0, 5, groups::leave_group),
    route!(OffsetCommitRequest, 0, 9, offsets::commit),
    route!(OffsetFetchRequest, 0, 9, offsets::fetch),
    route!(DescribeGroupsRequest, 0, 6, groups::describe_groups),
    route!(ListGroupsRequest, 0, 5, groups::list_groups),
    route!(DeleteGroupsRequest, 0, 2, groups::delete_groups),
    route!(OffsetDeleteRequest, 0, 0, offsets::delete),
    route!(DescribeConfigsRequest, 0, 4, configs::describe),
    route!(AlterConfigsRequest, 0, 2, configs::alter),
    route!(
        IncrementalAlterConfigsRequest,
        0,
        1,
        configs::incremental_alter
    ),
    route!(CreatePartitionsRequest, 0, 3, partitions::create),
    route!(ElectLeadersRequest, 0, 2, partitions::elect_leaders),
    route!(DescribeClusterRequest, 0, 1, cluster::describe_cluster),
    route!(DescribeLogDirsRequest, 0, 4, cluster::describe_log_dirs),
    route!(
        DescribeTopicPartitionsRequest,
        0,
        0,
        topic_partitions::handle
    ),
    route!(DescribeClientQuotasRequest, 0, 1, quotas::describe),
    route!(AlterClientQuotasRequest, 0, 1, quotas::alter),
    route!(
        kalfka_protocol::messages::DeleteRecordsRequest,
        0,
        2,
        delete_records::handle
    ),
    route!(
        ConsumerGroupHeartbeatRequest,
        0,
        1,
        consumer_groups::heartbeat
    ),
    route!(
        ConsumerGroupDescribeRequest,
        0,
        0,
        consumer_groups::describe
    ),
    route!(
        kalfka_protocol::messages::DescribeProducersRequest,
        0,
        0,
        producers::describe
    ),
    route!(
        AddPartitionsToTxnRequest,
        0,
        5,
        transactions::add_partitions
    ),
    route!(AddOffsetsToTxnRequest, 0, 4, transactions::add_offsets),
    route!(EndTxnRequest, 0, 5, transactions::end_txn),
    route!(
        TxnOffsetCommitRequest,
        0,
        5,
        transactions::txn_offset_commit
    ),
    route!(DescribeTransactionsRequest, 0, 0, transactions::describe),
    route!(
        kalfka_protocol::messages::WriteTxnMarkersRequest,
        0,
        1,
        txn_markers::handle
    ),
    route!(
        kalfka_protocol::messages::SaslHandshakeRequest,
        0,
        1,
        sasl::handshake
    ),
    route!(
        kalfka_protocol::messages::SaslAuthenticateRequest,
        0,
        2,
        sasl::authenticate
    ),
    route!(ListTransactionsRequest, 0, 1, transactions::list),
    route!(
        kalfka_protocol::messages::ShareGroupHeartbeatRequest,
        1,
        1,
        share_groups::heartbeat
    ),
    route!(
        kalfka_protocol::messages::ShareGroupDescribeRequest,
        1,
        1,
        share_groups::describe
    ),
    route!(
        kalfka_protocol::messages::ShareFetchRequest,
        1,
        2,
        share_fetch::fetch
    ),
    route!(
        kalfka_protocol::messages::ShareAcknowledgeRequest,
        1,
        2,
        share_fetch::acknowledge
    ),
    route!(
        kalfka_protocol::messages::DescribeShareGroupOffsetsRequest,
        0,
        1,
        share_offsets::describe
    ),
    route!(
        kalfka_protocol::messages::AlterShareGroupOffsetsRequest,
        0,
        0,
        share_offsets::alter
    ),
    route!(
        kalfka_protocol::messages::DeleteShareGroupOffsetsRequest,
        0,
        0,
        share_offsets::delete
    ),
];

/// Runs `f` on the blocking pool. Whatever does file I/O or fsyncs while holding a lock
/// others wait on (topic creation and deletion, coordinator state changes) runs there, never
/// on a runtime worker, so requests that do not touch it keep being served.
pub(crate) async fn blocking<T: Send + 'static>(
    ctx: &RequestContext,
    f: impl FnOnce(&RequestContext) -> T + Send + 'static,
) -> Result<T, crate::error::BrokerError> {
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || f(&ctx))
        .await
        .map_err(|e| crate::error::BrokerError::Storage(format!("request task failed: {e}")))
}

/// `authorized_operations` (cluster, topic, group) when the client did not ask for them:
/// Kafka's `Integer.MIN_VALUE`.
pub const OPS_NOT_REQUESTED: i32 = i32::MIN;

/// Kafka's cap on the partitions one CreateTopics or CreatePartitions request may create
/// (the controller's `MAX_PARTITIONS_PER_BATCH`).
pub const MAX_PARTITIONS_PER_REQUEST: u64 = 10_000;

/// Names that occur more than once in a request (Kafka answers every occurrence of such a
/// topic with INVALID_REQUEST).
pub fn repeated_names<'a>(names: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    let mut seen = HashSet::new();
    names
        .into_iter()
        .filter(|n| !seen.insert(*n))
        .map(str::to_string)
        .collect()
}

/// The route serving `api_key`.
pub fn route(api_key: i16) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.api_key == api_key)
}

/// Handles one request frame body (the bytes after the size prefix) from the client at `peer`.
pub async fn dispatch(
    broker: &Arc<Broker>,
    body: Bytes,
    peer: SocketAddr,
    session: &Arc<Session>,
) -> DispatchOutcome {
    let Some((api_key, api_version, correlation_id)) = peek_api_key_version(&body) else {
        return DispatchOutcome::Close("request shorter than a request header".into());
    };
    let Some(route) = route(api_key) else {
        return DispatchOutcome::Close(format!("unknown api key {api_key}"));
    };
    if api_version < route.min_version || api_version > route.max_version {
        if api_key == ApiVersionsRequest::API_KEY {
            return api_versions::unsupported_version_response(correlation_id);
        }
        return DispatchOutcome::Close(format!(
            "api key {api_key} version {api_version} is outside the advertised range {}..={}",
            route.min_version, route.max_version
        ));
    }
    let (header, consumed) = match RequestHeader::parse(&body) {
        Ok(decoded) => decoded,
        Err(e) => return DispatchOutcome::Close(format!("malformed request header: {e}")),
    };
    let ctx = RequestContext {
        broker: Arc::clone(broker),
        header,
        peer,
        session: Arc::clone(session),
    };
    let started = broker.metrics.enabled().then(std::time::Instant::now);
    let outcome = (route.handle)(ctx, body.slice(consumed..)).await;
    if let Some(started) = started {
        broker.metrics.record_request(api_key, started.elapsed());
    }
    outcome
}

/// Encodes a response frame: size prefix, response header (of the version the API and
/// request version call for), body.
pub fn encode_response<M: Message>(header: &RequestHeader, body: &M) -> DispatchOutcome {
    let mut out = BytesMut::with_capacity(256);
    let at = begin_frame(&mut out);
    let header_version = response_header_version(header.api_key, header.api_version);
    ResponseHeader {
        correlation_id: header.correlation_id,
    }
    .encode(&mut out, header_version);
    if let Err(e) = body.encode(&mut out, header.api_version) {
        return DispatchOutcome::Close(format!(
            "cannot encode the response to api key {} v{}: {e}",
            header.api_key, header.api_version
        ));
    }
    if !finish_frame(&mut out, at) {
        return DispatchOutcome::Close("response larger than a frame can hold".into());
    }
    DispatchOutcome::Respond(out.freeze())
}
