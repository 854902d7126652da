//! Kalfka: a message broker that speaks the Apache Kafka wire protocol.
pub mod log;
