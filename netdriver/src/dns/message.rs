//! One query in, one decision out: an answer from the name table, a query to forward, or
//! nothing (a packet that is not a well-formed query is dropped without an answer). Pure: no
//! I/O, so every case is unit-tested.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};

use hickory_proto::op::{Edns, Message, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use ipnet::IpNet;

use super::table::Table;

/// The TTL of the answers from the table, dockerd's (`respTTL`).
pub(crate) const TTL: u32 = 600;

/// The smallest UDP answer every client takes (RFC 1035); EDNS may allow more.
pub(crate) const UDP_MIN: usize = 512;

/// The largest UDP answer we send whatever EDNS says (the DNS flag day's safe size is below it;
/// bigger answers are truncated so the client asks again over TCP).
const UDP_MAX: usize = 4096;

/// The largest DNS message over TCP (its two-byte length prefix).
pub(crate) const TCP_MAX: usize = u16::MAX as usize;

/// What to do with a packet a container sent to `127.0.0.11`.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send these bytes back.
    Answer(Vec<u8>),
    /// Not a name of the table: forward the packet as it came and relay the answer.
    Forward(Query),
    /// Not a query (malformed, a response, no question): no answer at all.
    Drop,
}

/// A parsed query that goes upstream: enough to check what comes back and to fail it.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    message: Message,
    /// The largest answer the client takes on its transport.
    pub(crate) max_size: usize,
}

/// Decides what to answer to `packet` from container `from`, over UDP (`tcp` false) or TCP.
/// `turn` rotates several addresses for one name: it advances once per A answer with more than
/// one address (round-robin; AAAA queries, which resolvers send beside each A, do not move it).
pub(crate) fn handle(
    packet: &[u8],
    tcp: bool,
    table: &Table,
    from: &str,
    turn: &AtomicUsize,
) -> Outcome {
    let Ok(message) = Message::from_vec(packet) else {
        return Outcome::Drop;
    };
    if message.metadata.message_type != MessageType::Query || message.queries.is_empty() {
        return Outcome::Drop;
    }
    let max_size = if tcp {
        TCP_MAX
    } else {
        let edns = message
            .edns
            .as_ref()
            .map_or(0, |e| usize::from(e.max_payload()));
        edns.clamp(UDP_MIN, UDP_MAX)
    };
    let query = Query { message, max_size };
    match local_answer(&query.message, table, from, turn) {
        Some(answer) => Outcome::Answer(encode(answer, query.max_size, tcp)),
        None => Outcome::Forward(query),
    }
}

/// The table's answer to `query`, or `None` when the query is for the upstreams: the table
/// answers only standard `IN` queries from a container it knows, for A (the addresses), AAAA
/// and MX of a known name (no records, NOERROR: containers have no IPv6 address here, and an
/// empty MX lets mail clients fall back to the address), and PTR of a known address.
fn local_answer(query: &Message, table: &Table, from: &str, turn: &AtomicUsize) -> Option<Message> {
    let q = query.queries.first()?;
    if query.metadata.op_code != OpCode::Query
        || q.query_class() != DNSClass::IN
        || !table.knows(from)
    {
        return None;
    }
    let name = q.name().to_ascii();
    match q.query_type() {
        RecordType::A => {
            let mut ips = table.lookup(from, &name);
            if ips.is_empty() {
                return None;
            }
            if ips.len() > 1 {
                let len = ips.len();
                ips.rotate_left(turn.fetch_add(1, Ordering::Relaxed) % len);
            }
            let mut reply = reply_to(query);
            reply.answers = ips
                .into_iter()
                .map(|ip| Record::from_rdata(q.name().clone(), TTL, RData::A(A(ip))))
                .collect();
            Some(reply)
        }
        RecordType::AAAA | RecordType::MX => {
            (!table.lookup(from, &name).is_empty()).then(|| reply_to(query))
        }
        RecordType::PTR => {
            let ip = arpa_v4(q.name())?;
            let host = table.reverse(from, ip)?;
            let target = Name::from_ascii(format!("{host}.")).ok()?;
            let mut reply = reply_to(query);
            reply.answers = vec![Record::from_rdata(
                q.name().clone(),
                TTL,
                RData::PTR(PTR(target)),
            )];
            Some(reply)
        }
        _ => None,
    }
}

/// The IPv4 address a `d.c.b.a.in-addr.arpa` name stands for (any case).
fn arpa_v4(name: &Name) -> Option<Ipv4Addr> {
    match name.to_lowercase().parse_arpa_name().ok()? {
        IpNet::V4(net) if net.prefix_len() == 32 => Some(net.addr()),
        _ => None,
    }
}

/// An empty answer to `query`: its ID, opcode, RD and question, recursion available, and an
/// OPT record with the size we take when the query had one (RFC 6891 wants it answered).
fn reply_to(query: &Message) -> Message {
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata = Metadata::response_from_request(&query.metadata);
    reply.metadata.recursion_available = true;
    reply.queries = query.queries.iter().take(1).cloned().collect();
    if query.edns.is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(UDP_MAX as u16);
        reply.set_edns(edns);
    }
    reply
}

/// `reply` on the wire, dropping answers until it fits `max_size` (with TC set over UDP, as
/// dockerd does, so the client can ask again over TCP).
fn encode(mut reply: Message, max_size: usize, tcp: bool) -> Vec<u8> {
    loop {
        match reply.to_vec() {
            Ok(bytes) if bytes.len() <= max_size || reply.answers.is_empty() => return bytes,
            Ok(_) => {
                reply.answers.pop();
                reply.metadata.truncation = !tcp;
            }
            // Only our own records are in `reply`; a name that cannot be written is a bug, and
            // the client gets a SERVFAIL rather than nothing.
            Err(e) => {
                tracing::warn!("embedded DNS: encoding an answer: {e}");
                return failure(&reply, ResponseCode::ServFail);
            }
        }
    }
}

/// A bare answer to `query` with `code` (no records).
fn failure(query: &Message, code: ResponseCode) -> Vec<u8> {
    let mut reply = reply_to(query);
    reply.metadata.response_code = code;
    reply.answers.clear();
    // A header and the question the client sent, which it could send: cannot fail to encode.
    reply.to_vec().unwrap_or_default()
}

impl Query {
    /// The SERVFAIL answer to this query (no upstream answered).
    pub(crate) fn servfail(&self) -> Vec<u8> {
        failure(&self.message, ResponseCode::ServFail)
    }

    /// The query's ID.
    pub(crate) fn id(&self) -> u16 {
        self.message.metadata.id
    }

    /// For logs: the first question's name and type.
    pub(crate) fn describe(&self) -> String {
        match self.message.queries.first() {
            Some(q) => format!("{} {}", q.name(), q.query_type()),
            None => String::from("(no question)"),
        }
    }

    /// Reads an upstream's answer: `None` when it is not an answer to this query (wrong ID,
    /// not a response, another question, malformed), which the forwarder ignores.
    pub(crate) fn check_answer(&self, bytes: &[u8]) -> Option<Upstream> {
        let answer = Message::from_vec(bytes).ok()?;
        let same_question = answer.queries.first().map(|q| (q.name(), q.query_type()))
            == self
                .message
                .queries
                .first()
                .map(|q| (q.name(), q.query_type()));
        if answer.metadata.id != self.id()
            || answer.metadata.message_type != MessageType::Response
            || !same_question
        {
            return None;
        }
        Some(Upstream {
            code: answer.metadata.response_code,
            authoritative: answer.metadata.authoritative,
            truncated: answer.metadata.truncation,
        })
    }

    /// `bytes` (an upstream's answer) made to fit this client's transport: as it is when it
    /// fits, else its header and question only, with TC set.
    pub(crate) fn fit(&self, bytes: Vec<u8>) -> Vec<u8> {
        if bytes.len() <= self.max_size {
            return bytes;
        }
        match Message::from_vec(&bytes).map(|m| m.truncate().to_vec()) {
            Ok(Ok(cut)) => cut,
            _ => self.servfail(),
        }
    }
}

/// What an upstream's answer says, for the choice of the next upstream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Upstream {
    /// Its RCODE.
    pub(crate) code: ResponseCode,
    /// AA: an authoritative NXDOMAIN ends the search (RFC 8020).
    pub(crate) authoritative: bool,
    /// TC: the answer did not fit UDP; ask again over TCP.
    pub(crate) truncated: bool,
}

impl Upstream {
    /// Whether this answer is final: NOERROR, or an authoritative NXDOMAIN. SERVFAIL, REFUSED,
    /// a non-authoritative NXDOMAIN and other errors try the next upstream (as dockerd).
    pub(crate) fn is_final(&self) -> bool {
        match self.code {
            ResponseCode::NoError => true,
            ResponseCode::NXDomain => self.authoritative,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
