use super::*;

use hickory_proto::op::{Edns, Query as Question};

use crate::dns::table::tests::names;

/// `web` (twice, as an alias of two containers) and `db` on `app`.
fn table() -> Table {
    let mut t = Table::default();
    t.register(
        "app",
        "c-web1",
        "172.18.0.2".parse().expect("ip"),
        &names(&["web1", "web"]),
    );
    t.register(
        "app",
        "c-web2",
        "172.18.0.3".parse().expect("ip"),
        &names(&["web2", "web"]),
    );
    t.register(
        "app",
        "c-db",
        "172.18.0.4".parse().expect("ip"),
        &names(&["db"]),
    );
    t
}

fn query(name: &str, rtype: RecordType) -> Vec<u8> {
    let mut m = Message::query();
    m.metadata.id = 0x1234;
    m.metadata.recursion_desired = true;
    m.add_query(Question::query(
        Name::from_ascii(name).expect("a name"),
        rtype,
    ));
    m.to_vec().expect("encoding a query")
}

fn answer(outcome: Outcome) -> Message {
    match outcome {
        Outcome::Answer(bytes) => Message::from_vec(&bytes).expect("a well-formed answer"),
        other => panic!("expected an answer, got {other:?}"),
    }
}

fn addresses(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .map(|r| match &r.data {
            RData::A(a) => a.0.to_string(),
            other => panic!("not an A record: {other:?}"),
        })
        .collect()
}

#[test]
fn a_query_for_a_container_name_is_answered_from_the_table() {
    let t = table();
    let m = answer(handle(
        &query("DB.", RecordType::A),
        false,
        &t,
        "c-web1",
        &AtomicUsize::new(0),
    ));
    assert_eq!(m.metadata.id, 0x1234);
    assert_eq!(m.metadata.message_type, MessageType::Response);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.metadata.recursion_desired && m.metadata.recursion_available);
    assert_eq!(m.queries.len(), 1);
    assert_eq!(addresses(&m), vec!["172.18.0.4"]);
    assert_eq!(m.answers[0].ttl, TTL);
    assert_eq!(
        m.answers[0].name.to_ascii(),
        "DB.",
        "the question's name, as asked"
    );
}

#[test]
fn several_containers_under_one_name_come_out_rotated() {
    let t = table();
    let turn = AtomicUsize::new(0);
    let ask = |rtype| handle(&query("web", rtype), false, &t, "c-db", &turn);
    let first = addresses(&answer(ask(RecordType::A)));
    // The AAAA query a resolver sends beside the A one does not move the rotation.
    answer(ask(RecordType::AAAA));
    let second = addresses(&answer(ask(RecordType::A)));
    let third = addresses(&answer(ask(RecordType::A)));
    assert_eq!(first, vec!["172.18.0.2", "172.18.0.3"]);
    assert_eq!(second, vec!["172.18.0.3", "172.18.0.2"]);
    assert_eq!(third, first);
    // One address does not turn it either.
    answer(handle(
        &query("db", RecordType::A),
        false,
        &t,
        "c-db",
        &turn,
    ));
    assert_eq!(turn.load(std::sync::atomic::Ordering::Relaxed), 3);
}

#[test]
fn an_edns_query_gets_an_opt_record_back() {
    let t = table();
    let mut q = Message::from_vec(&query("db", RecordType::A)).expect("parse");
    assert!(
        answer(handle(
            &q.to_vec().expect("encode"),
            false,
            &t,
            "c-web1",
            &AtomicUsize::new(0)
        ))
        .edns
        .is_none()
    );
    q.set_edns(Edns::new());
    let m = answer(handle(
        &q.to_vec().expect("encode"),
        false,
        &t,
        "c-web1",
        &AtomicUsize::new(0),
    ));
    assert_eq!(m.edns.map(|e| e.max_payload()), Some(4096));
}

#[test]
fn aaaa_and_mx_of_a_known_name_are_empty_answers() {
    let t = table();
    for rtype in [RecordType::AAAA, RecordType::MX] {
        let m = answer(handle(
            &query("web", rtype),
            false,
            &t,
            "c-db",
            &AtomicUsize::new(0),
        ));
        assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{rtype}");
        assert!(m.answers.is_empty(), "{rtype}");
    }
}

#[test]
fn ptr_of_a_registered_address_names_the_container() {
    let t = table();
    let m = answer(handle(
        &query("4.0.18.172.IN-ADDR.ARPA.", RecordType::PTR),
        false,
        &t,
        "c-web1",
        &AtomicUsize::new(0),
    ));
    match m.answers.first().map(|r| &r.data) {
        Some(RData::PTR(p)) => assert_eq!(p.0.to_ascii(), "db.app."),
        other => panic!("no PTR record: {other:?}"),
    }
    let unknown = handle(
        &query("9.0.18.172.in-addr.arpa.", RecordType::PTR),
        false,
        &t,
        "c-web1",
        &AtomicUsize::new(0),
    );
    assert!(matches!(unknown, Outcome::Forward(_)), "{unknown:?}");
}

#[test]
fn other_names_types_and_askers_are_forwarded() {
    let t = table();
    for (name, rtype, from) in [
        ("example.com.", RecordType::A, "c-db"),
        ("web", RecordType::TXT, "c-db"),
        ("web", RecordType::A, "c-not-registered"),
        ("nothere", RecordType::AAAA, "c-db"),
    ] {
        let got = handle(&query(name, rtype), false, &t, from, &AtomicUsize::new(0));
        assert!(
            matches!(got, Outcome::Forward(_)),
            "{name} {rtype} from {from}: {got:?}"
        );
    }
}

#[test]
fn malformed_packets_and_responses_are_dropped() {
    let t = table();
    let good = query("db", RecordType::A);
    for bad in [
        &[][..],
        &[0u8; 5][..],
        &good[..good.len() - 3],
        &[0xffu8; 64][..],
    ] {
        let got = handle(bad, false, &t, "c-web1", &AtomicUsize::new(0));
        assert!(matches!(got, Outcome::Drop), "{bad:?}: {got:?}");
    }
    let mut response = Message::from_vec(&good).expect("parse");
    response.metadata.message_type = MessageType::Response;
    let got = handle(
        &response.to_vec().expect("encode"),
        false,
        &t,
        "c-web1",
        &AtomicUsize::new(0),
    );
    assert!(
        matches!(got, Outcome::Drop),
        "a response is not a query: {got:?}"
    );
    let mut empty = Message::query();
    empty.metadata.id = 7;
    let got = handle(
        &empty.to_vec().expect("encode"),
        false,
        &t,
        "c-web1",
        &AtomicUsize::new(0),
    );
    assert!(matches!(got, Outcome::Drop), "no question: {got:?}");
}

#[test]
fn answers_too_big_for_udp_are_truncated_with_tc_but_not_over_tcp() {
    let mut t = Table::default();
    for i in 0..60u8 {
        let ip = Ipv4Addr::new(172, 18, 1, i);
        t.register("app", &format!("c{i}"), ip, &names(&["many"]));
    }
    let q = query("many", RecordType::A);
    let Outcome::Answer(udp) = handle(&q, false, &t, "c0", &AtomicUsize::new(0)) else {
        panic!("expected an answer");
    };
    assert!(udp.len() <= UDP_MIN, "{}", udp.len());
    let m = Message::from_vec(&udp).expect("parse");
    assert!(m.metadata.truncation);
    assert!(!m.answers.is_empty() && m.answers.len() < 60);
    let m = answer(handle(&q, true, &t, "c0", &AtomicUsize::new(0)));
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 60);

    // EDNS lets the client take more over UDP.
    let mut big = Message::from_vec(&q).expect("parse");
    let mut edns = Edns::new();
    edns.set_max_payload(4096);
    big.set_edns(edns);
    let m = answer(handle(
        &big.to_vec().expect("encode"),
        false,
        &t,
        "c0",
        &AtomicUsize::new(0),
    ));
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 60);
}

#[test]
fn upstream_answers_are_checked_and_fitted() {
    let t = table();
    let Outcome::Forward(q) = handle(
        &query("example.com.", RecordType::A),
        false,
        &t,
        "c-db",
        &AtomicUsize::new(0),
    ) else {
        panic!("expected a forward");
    };
    let mut reply = Message::from_vec(&query("example.com.", RecordType::A)).expect("parse");
    reply.metadata.message_type = MessageType::Response;
    reply.metadata.response_code = ResponseCode::NXDomain;
    let bytes = reply.to_vec().expect("encode");
    let verdict = q.check_answer(&bytes).expect("an answer to the query");
    assert!(
        !verdict.is_final(),
        "a non-authoritative NXDOMAIN tries the next upstream"
    );
    reply.metadata.authoritative = true;
    let verdict = q
        .check_answer(&reply.to_vec().expect("encode"))
        .expect("an answer");
    assert!(verdict.is_final());

    reply.metadata.id = 1;
    assert!(
        q.check_answer(&reply.to_vec().expect("encode")).is_none(),
        "another ID"
    );
    assert!(
        q.check_answer(&query("example.com.", RecordType::A))
            .is_none(),
        "a query"
    );
    assert!(q.check_answer(b"junk").is_none());

    let fail = Message::from_vec(&q.servfail()).expect("parse");
    assert_eq!(fail.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(fail.metadata.id, 0x1234);

    // An answer bigger than 512 bytes goes to a UDP client as its header and question, TC set.
    let mut large = Message::from_vec(&query("example.com.", RecordType::A)).expect("parse");
    large.metadata.message_type = MessageType::Response;
    for i in 0..60u8 {
        large.add_answer(Record::from_rdata(
            Name::from_ascii("example.com.").expect("name"),
            60,
            RData::A(A(Ipv4Addr::new(192, 0, 2, i))),
        ));
    }
    let cut = Message::from_vec(&q.fit(large.to_vec().expect("encode"))).expect("parse");
    assert!(cut.metadata.truncation && cut.answers.is_empty());
}

#[test]
fn random_and_mangled_packets_never_panic() {
    let t = table();
    let turn = AtomicUsize::new(0);
    // xorshift: deterministic, so a failure can be replayed.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let valid = query("web.app.", RecordType::A);
    for _ in 0..20_000 {
        let packet: Vec<u8> = match next() % 3 {
            // Noise of any length up to 600 bytes.
            0 => (0..next() % 600).map(|_| next() as u8).collect(),
            // A real query with a few bytes flipped.
            1 => {
                let mut p = valid.clone();
                for _ in 0..=next() % 4 {
                    let i = (next() as usize) % p.len();
                    p[i] ^= next() as u8;
                }
                p
            }
            // A real query cut short or with junk after it.
            _ => {
                let mut p = valid.clone();
                let cut = (next() as usize) % (p.len() + 8);
                p.resize(cut, next() as u8);
                p
            }
        };
        for tcp in [false, true] {
            if let Outcome::Answer(bytes) = handle(&packet, tcp, &t, "c-db", &turn) {
                Message::from_vec(&bytes).expect("every answer we make parses");
            }
        }
    }
}
