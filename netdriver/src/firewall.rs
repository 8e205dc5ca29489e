//! The nftables table wharf owns, generated from the driver's state and replaced atomically.
//!
//! Everything lives in one table, `ip wharf`; rules of any other table are never read or changed.
//! Every change sends one `nft -j -f -` transaction that adds the table (so it exists), deletes
//! it, and adds it again with all chains and rules. The kernel applies a transaction as a whole, so
//! there is never a moment with half a ruleset, and re-applying the same state after a restart
//! gives the same table (no duplicated rules).
//!
//! What the table does, for bridge `B` with subnet `S`:
//! - `postrouting` (nat): `ip saddr S oifname != B masquerade` (containers reach out with the
//!   host's address); `ip saddr 127.0.0.0/8 oifname B masquerade` (loopback clients of published
//!   ports, see below); per binding, a hairpin masquerade for a container reaching itself.
//! - `prerouting` and `output` (nat): traffic to a local address jumps to `ports`, which holds one
//!   `dnat` rule per published port. `output` covers connections made from the daemon's own
//!   namespace, including to `127.0.0.1`: that needs `route_localnet=1` on the bridge (set at
//!   start-up) so the kernel routes a packet with a loopback source out of the bridge, where the
//!   masquerade rule above gives it the gateway's address.
//! - `forward` (filter): bridge-to-bridge traffic accepted or dropped by `--icc`; replies
//!   (`ct state established,related`) and DNATed connections to containers accepted; any other
//!   traffic into the bridge dropped; traffic out of the bridge accepted. Bridge-to-bridge traffic
//!   reaches this hook through `br_netfilter` (`bridge-nf-call-iptables=1`), as with dockerd.

use std::borrow::Cow;
use std::collections::HashSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use nftables::batch::Batch;
use nftables::expr::{CT, Payload, PayloadField, Prefix};
use nftables::expr::{Expression, Fib, FibFlag, FibResult, Meta, MetaKey, NamedExpression};
use nftables::helper::{self, NftablesError};
use nftables::schema::{Chain, NfListObject, Nftables, Rule, Table};
use nftables::stmt::{JumpTarget, Match, NAT, Operator, Statement};
use nftables::types::{NfChainPolicy, NfChainType, NfFamily, NfHook};

use crate::error::{Error, Result};
use crate::ports::{PortBinding, Protocol};

/// The table's name (in family `ip`).
pub const TABLE: &str = "wharf";

/// One bridge network's part of the table.
#[derive(Debug, Clone)]
pub(crate) struct BridgeRules {
    /// The bridge's interface name.
    pub(crate) bridge: String,
    /// The bridge's subnet.
    pub(crate) subnet: Ipv4Net,
    /// Whether containers on it may talk to each other.
    pub(crate) icc: bool,
    /// Whether its containers reach out with the host's address.
    pub(crate) masquerade: bool,
    /// No traffic in or out of the bridge (`--internal`).
    pub(crate) internal: bool,
}

/// What the table is generated from.
#[derive(Debug, Clone)]
pub(crate) struct FirewallSpec {
    /// Every bridge network, the default bridge first.
    pub(crate) networks: Vec<BridgeRules>,
    /// Every published port.
    pub(crate) ports: Vec<PortBinding>,
}

type Expr = Expression<'static>;
type Stmt = Statement<'static>;

fn text(s: impl Into<String>) -> Expr {
    Expression::String(Cow::Owned(s.into()))
}

fn payload(protocol: &'static str, field: &'static str) -> Expr {
    Expression::Named(NamedExpression::Payload(Payload::PayloadField(
        PayloadField {
            protocol: protocol.into(),
            field: field.into(),
        },
    )))
}

fn meta(key: MetaKey) -> Expr {
    Expression::Named(NamedExpression::Meta(Meta { key }))
}

fn ct(key: &'static str) -> Expr {
    Expression::Named(NamedExpression::CT(CT {
        key: key.into(),
        family: None,
        dir: None,
    }))
}

fn prefix(net: Ipv4Net) -> Expr {
    Expression::Named(NamedExpression::Prefix(Prefix {
        addr: Box::new(text(net.network().to_string())),
        len: u32::from(net.prefix_len()),
    }))
}

/// A match statement. Only `==`, `!=` and `in` are used here: the crate's `LT`/`GT` serialise
/// swapped (see crates.md), so ordered comparisons are deliberately avoided.
fn is(left: Expr, op: Operator, right: Expr) -> Stmt {
    Statement::Match(Match { left, right, op })
}

fn local_daddr() -> Stmt {
    let fib = Fib {
        result: FibResult::Type,
        flags: HashSet::from([FibFlag::Daddr]),
    };
    is(
        Expression::Named(NamedExpression::Fib(fib)),
        Operator::EQ,
        text("local"),
    )
}

fn l4(proto: Protocol) -> &'static str {
    match proto {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
    }
}

fn base_chain(
    name: &'static str,
    kind: NfChainType,
    hook: NfHook,
    prio: i32,
) -> NfListObject<'static> {
    NfListObject::Chain(Chain {
        family: NfFamily::IP,
        table: TABLE.into(),
        name: name.into(),
        _type: Some(kind),
        hook: Some(hook),
        prio: Some(prio),
        policy: Some(NfChainPolicy::Accept),
        ..Chain::default()
    })
}

fn rule(chain: &'static str, expr: Vec<Stmt>) -> NfListObject<'static> {
    NfListObject::Rule(Rule {
        family: NfFamily::IP,
        table: TABLE.into(),
        chain: chain.into(),
        expr: expr.into(),
        ..Rule::default()
    })
}

fn table() -> NfListObject<'static> {
    NfListObject::Table(Table {
        family: NfFamily::IP,
        name: TABLE.into(),
        handle: None,
    })
}

/// The transaction that makes the table exactly what `spec` describes.
pub(crate) fn ruleset(spec: &FirewallSpec) -> Nftables<'static> {
    let iif = |n: &BridgeRules, op| is(meta(MetaKey::Iifname), op, text(n.bridge.clone()));
    let oif = |n: &BridgeRules, op| is(meta(MetaKey::Oifname), op, text(n.bridge.clone()));
    let mut b = Batch::new();
    // Add, delete, add: replaces a table left by an earlier run (or creates it) in one go.
    b.add(table());
    b.delete(table());
    b.add(table());

    b.add(base_chain(
        "prerouting",
        NfChainType::NAT,
        NfHook::Prerouting,
        -100,
    ));
    b.add(base_chain("output", NfChainType::NAT, NfHook::Output, -100));
    b.add(base_chain(
        "postrouting",
        NfChainType::NAT,
        NfHook::Postrouting,
        100,
    ));
    b.add(base_chain(
        "forward",
        NfChainType::Filter,
        NfHook::Forward,
        0,
    ));
    b.add(NfListObject::Chain(Chain {
        family: NfFamily::IP,
        table: TABLE.into(),
        name: "ports".into(),
        ..Chain::default()
    }));

    let jump_ports = || {
        Statement::Jump(JumpTarget {
            target: "ports".into(),
        })
    };
    b.add(rule("prerouting", vec![local_daddr(), jump_ports()]));
    b.add(rule("output", vec![local_daddr(), jump_ports()]));

    for p in &spec.ports {
        let mut expr = Vec::new();
        if !p.host_ip.is_unspecified() {
            expr.push(is(
                payload("ip", "daddr"),
                Operator::EQ,
                text(p.host_ip.to_string()),
            ));
        }
        expr.push(is(
            payload(l4(p.proto), "dport"),
            Operator::EQ,
            Expression::Number(u32::from(p.host_port)),
        ));
        expr.push(Statement::DNAT(Some(NAT {
            addr: Some(text(p.container_ip.to_string())),
            family: None,
            port: Some(Expression::Number(u32::from(p.container_port))),
            flags: None,
        })));
        b.add(rule("ports", expr));
    }

    let masquerade = || Statement::Masquerade(None);
    for n in spec.networks.iter().filter(|n| n.masquerade && !n.internal) {
        b.add(rule(
            "postrouting",
            vec![
                is(payload("ip", "saddr"), Operator::EQ, prefix(n.subnet)),
                oif(n, Operator::NEQ),
                masquerade(),
            ],
        ));
    }
    let loopback = Ipv4Net::new(Ipv4Addr::new(127, 0, 0, 0), 8).expect("8 is a valid prefix");
    for n in &spec.networks {
        b.add(rule(
            "postrouting",
            vec![
                is(payload("ip", "saddr"), Operator::EQ, prefix(loopback)),
                oif(n, Operator::EQ),
                masquerade(),
            ],
        ));
    }
    for p in &spec.ports {
        let cip = || text(p.container_ip.to_string());
        b.add(rule(
            "postrouting",
            vec![
                is(payload("ip", "saddr"), Operator::EQ, cip()),
                is(payload("ip", "daddr"), Operator::EQ, cip()),
                is(
                    payload(l4(p.proto), "dport"),
                    Operator::EQ,
                    Expression::Number(u32::from(p.container_port)),
                ),
                masquerade(),
            ],
        ));
    }

    // Isolation (dockerd's DOCKER-ISOLATION chains): no bridge network reaches another.
    for a in &spec.networks {
        for other in spec.networks.iter().filter(|o| o.bridge != a.bridge) {
            b.add(rule(
                "forward",
                vec![
                    iif(a, Operator::EQ),
                    oif(other, Operator::EQ),
                    Statement::Drop(None),
                ],
            ));
        }
    }
    // An internal network's traffic stays on its bridge, both ways.
    for n in spec.networks.iter().filter(|n| n.internal) {
        let drop = || Statement::Drop(None);
        b.add(rule(
            "forward",
            vec![iif(n, Operator::EQ), oif(n, Operator::NEQ), drop()],
        ));
        b.add(rule(
            "forward",
            vec![oif(n, Operator::EQ), iif(n, Operator::NEQ), drop()],
        ));
    }
    for n in &spec.networks {
        let icc = if n.icc {
            Statement::Accept(None)
        } else {
            Statement::Drop(None)
        };
        b.add(rule(
            "forward",
            vec![iif(n, Operator::EQ), oif(n, Operator::EQ), icc],
        ));
        b.add(rule(
            "forward",
            vec![
                oif(n, Operator::EQ),
                is(
                    ct("state"),
                    Operator::IN,
                    Expression::List(vec![text("established"), text("related")]),
                ),
                Statement::Accept(None),
            ],
        ));
        b.add(rule(
            "forward",
            vec![
                oif(n, Operator::EQ),
                is(ct("status"), Operator::IN, text("dnat")),
                Statement::Accept(None),
            ],
        ));
        b.add(rule(
            "forward",
            vec![oif(n, Operator::EQ), Statement::Drop(None)],
        ));
        b.add(rule(
            "forward",
            vec![iif(n, Operator::EQ), Statement::Accept(None)],
        ));
    }
    b.to_nftables()
}

/// The transaction that removes the table if it exists (for `--iptables=false`).
pub(crate) fn removal() -> Nftables<'static> {
    let mut b = Batch::new();
    b.add(table());
    b.delete(table());
    b.to_nftables()
}

/// Sends a transaction to `nft` in the calling thread's network namespace.
pub(crate) async fn apply(nft: &Nftables<'_>) -> Result<()> {
    let payload = serde_json::to_string(nft)
        .map_err(|e| Error::system(format!("serialising table ip {TABLE}"), e))?;
    helper::apply_ruleset_raw_async(&payload, helper::DEFAULT_NFT, helper::DEFAULT_ARGS)
        .await
        .map(drop)
        .map_err(|e| match e {
            NftablesError::NftFailed { stderr, .. } => Error::system(
                format!("nft refused table ip {TABLE}"),
                std::io::Error::other(stderr.trim().to_string()),
            ),
            NftablesError::NftExecution { inner, .. } => {
                Error::system("running nft (is the nftables package installed?)", inner)
            }
            other => Error::system(format!("applying table ip {TABLE}"), other),
        })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn bridge(name: &str, subnet: &str, icc: bool) -> BridgeRules {
        BridgeRules {
            bridge: name.into(),
            subnet: subnet.parse().expect("literal"),
            icc,
            masquerade: true,
            internal: false,
        }
    }

    fn spec(icc: bool, ports: Vec<PortBinding>) -> FirewallSpec {
        FirewallSpec {
            networks: vec![bridge("docker0", "172.17.0.0/16", icc)],
            ports,
        }
    }

    fn binding(host_ip: &str, host_port: u16, proto: Protocol) -> PortBinding {
        PortBinding {
            container_id: "c".into(),
            host_ip: host_ip.parse().expect("literal"),
            host_port,
            container_ip: Ipv4Addr::new(172, 17, 0, 2),
            container_port: 80,
            proto,
        }
    }

    fn commands(n: &Nftables) -> Vec<Value> {
        let v = serde_json::to_value(n).expect("serialisable");
        v["nftables"].as_array().expect("array").clone()
    }

    fn rules_of(cmds: &[Value], chain: &str) -> Vec<Value> {
        cmds.iter()
            .filter_map(|c| c.get("add")?.get("rule"))
            .filter(|r| r["chain"] == chain)
            .map(|r| r["expr"].clone())
            .collect()
    }

    #[test]
    fn replaces_the_table_in_one_transaction() {
        let cmds = commands(&ruleset(&spec(true, vec![])));
        let t = json!({"family": "ip", "name": "wharf"});
        assert_eq!(cmds[0], json!({"add": {"table": t}}));
        assert_eq!(cmds[1], json!({"delete": {"table": t}}));
        assert_eq!(cmds[2], json!({"add": {"table": t}}));
        // Nothing outside our table is named.
        for c in &cmds {
            let obj = c
                .as_object()
                .expect("command")
                .values()
                .next()
                .expect("one");
            let inner = obj
                .as_object()
                .expect("object")
                .values()
                .next()
                .expect("one");
            let table = inner.get("table").or_else(|| inner.get("name"));
            assert_eq!(table, Some(&json!("wharf")), "{c}");
        }
    }

    #[test]
    fn base_chains_hook_nat_and_filter() {
        let cmds = commands(&ruleset(&spec(true, vec![])));
        let chains: Vec<&Value> = cmds
            .iter()
            .filter_map(|c| c.get("add")?.get("chain"))
            .collect();
        let pre = chains
            .iter()
            .find(|c| c["name"] == "prerouting")
            .expect("pre");
        assert_eq!(pre["type"], "nat");
        assert_eq!(pre["hook"], "prerouting");
        assert_eq!(pre["prio"], -100);
        let fwd = chains.iter().find(|c| c["name"] == "forward").expect("fwd");
        assert_eq!(fwd["type"], "filter");
        assert_eq!(fwd["policy"], "accept");
        let ports = chains.iter().find(|c| c["name"] == "ports").expect("ports");
        assert!(ports.get("hook").is_none(), "ports is a regular chain");
    }

    #[test]
    fn masquerades_the_subnet_and_loopback_clients() {
        let cmds = commands(&ruleset(&spec(true, vec![])));
        let post = rules_of(&cmds, "postrouting");
        assert_eq!(
            post[0],
            json!([
                {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                           "right": {"prefix": {"addr": "172.17.0.0", "len": 16}}}},
                {"match": {"op": "!=", "left": {"meta": {"key": "oifname"}}, "right": "docker0"}},
                {"masquerade": null}
            ])
        );
        assert_eq!(
            post[1][0]["match"]["right"],
            json!({"prefix": {"addr": "127.0.0.0", "len": 8}})
        );
        assert_eq!(post[1][1]["match"]["op"], "==");
    }

    #[test]
    fn icc_decides_bridge_to_bridge_traffic() {
        for (icc, verdict) in [(true, "accept"), (false, "drop")] {
            let cmds = commands(&ruleset(&spec(icc, vec![])));
            let fwd = rules_of(&cmds, "forward");
            assert_eq!(fwd[0][0]["match"]["left"]["meta"]["key"], "iifname");
            assert_eq!(fwd[0][1]["match"]["left"]["meta"]["key"], "oifname");
            assert!(fwd[0][2].get(verdict).is_some(), "{}", fwd[0]);
            assert_eq!(
                fwd[1][1]["match"]["right"],
                json!(["established", "related"])
            );
            assert_eq!(fwd[2][1]["match"]["right"], "dnat");
            assert!(fwd[3][1].get("drop").is_some());
            assert!(fwd[4][1].get("accept").is_some());
        }
    }

    #[test]
    fn published_ports_become_dnat_rules() {
        let ports = vec![
            binding("0.0.0.0", 8080, Protocol::Tcp),
            binding("127.0.0.1", 5353, Protocol::Udp),
        ];
        let cmds = commands(&ruleset(&spec(true, ports)));
        for chain in ["prerouting", "output"] {
            let r = rules_of(&cmds, chain);
            assert_eq!(r.len(), 1);
            assert_eq!(
                r[0][0]["match"]["left"],
                json!({"fib": {"result": "type", "flags": ["daddr"]}})
            );
            assert_eq!(r[0][1], json!({"jump": {"target": "ports"}}));
        }
        let p = rules_of(&cmds, "ports");
        assert_eq!(
            p[0],
            json!([
                {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 8080}},
                {"dnat": {"addr": "172.17.0.2", "port": 80}}
            ])
        );
        assert_eq!(
            p[1][0],
            json!({"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "127.0.0.1"}})
        );
        assert_eq!(p[1][1]["match"]["left"]["payload"]["protocol"], "udp");
        // One hairpin masquerade per binding, after the two fixed rules.
        assert_eq!(rules_of(&cmds, "postrouting").len(), 4);
    }

    #[test]
    fn user_networks_are_isolated_and_internal_ones_closed() {
        let mut internal = bridge("br-b", "172.19.0.0/16", true);
        internal.internal = true;
        let spec = FirewallSpec {
            networks: vec![
                bridge("docker0", "172.17.0.0/16", true),
                bridge("br-a", "172.18.0.0/16", false),
                internal,
            ],
            ports: vec![],
        };
        let cmds = commands(&ruleset(&spec));
        let fwd = rules_of(&cmds, "forward");
        let names = |r: &Value| {
            (
                r[0]["match"]["right"].clone(),
                r[1]["match"]["op"].clone(),
                r[1]["match"]["right"].clone(),
            )
        };
        // Six isolation drops first: every ordered pair of different bridges.
        for r in &fwd[..6] {
            let (a, op, b) = names(r);
            assert_ne!(a, b);
            assert_eq!(op, "==");
            assert!(r[2].get("drop").is_some(), "{r}");
        }
        // The internal network's two drops: out of it and into it.
        assert_eq!(names(&fwd[6]), (json!("br-b"), json!("!="), json!("br-b")));
        assert_eq!(fwd[7][0]["match"]["left"]["meta"]["key"], "oifname");
        assert_eq!(fwd[7][1]["match"]["op"], "!=");
        // Then five rules per bridge, icc included.
        assert_eq!(fwd.len(), 8 + 15);
        assert!(fwd[8 + 5][2].get("drop").is_some(), "br-a has icc off");
        // No masquerade for the internal network; loopback ones for all three.
        let post = rules_of(&cmds, "postrouting");
        assert_eq!(post.len(), 2 + 3);
        assert!(
            post.iter()
                .all(|r| r[0]["match"]["right"]["prefix"]["addr"] != "172.19.0.0")
        );
    }

    #[test]
    fn removal_only_names_our_table() {
        let cmds = commands(&removal());
        assert_eq!(cmds.len(), 2);
        assert_eq!(
            cmds[1],
            json!({"delete": {"table": {"family": "ip", "name": "wharf"}}})
        );
    }
}
