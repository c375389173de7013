//! The state machine, branch by branch and by property: thousands of
//! random fact sequences against an oracle written apart from
//! `pasarela-core`'s comparison.

use pasarela_core::{Money, RawResponse, monnet, smilepayz};
use proptest::prelude::*;
use time::Duration;
use time::macros::datetime;

use super::*;
use crate::payment::NewPayment;

const T0: OffsetDateTime = datetime!(2026-12-01 12:00:00 UTC);
const ORDER: &str = "ORD1";

fn new_payment(gateway: Gateway) -> Payment {
    let merchant = match gateway {
        Gateway::Smilepayz => "20001",
        Gateway::Monnet => "4001",
    };
    let new = NewPayment::new(
        gateway,
        ORDER,
        merchant,
        Money::pen(20000),
        T0 + Duration::hours(1),
    );
    Payment::intent(&new, T0, &Policy::default())
}

fn sp_answer(
    status: Option<&str>,
    amount: u64,
    currency: &str,
    trade: Option<&str>,
    order: Option<&str>,
) -> StatusAnswer {
    let mut body = serde_json::json!({"code": "00", "message": "ok", "money": {"amount": amount, "currency": currency}});
    if let Some(s) = status {
        body["status"] = s.into();
    }
    if let Some(t) = trade {
        body["tradeNo"] = t.into();
    }
    if let Some(o) = order {
        body["orderNo"] = o.into();
    }
    StatusAnswer::Smilepayz(
        smilepayz::parse_inquiry_status_response(RawResponse::new(200, body.to_string()))
            .expect("a valid inquiry answer"),
    )
}

fn mn_answer(merchant: &str, op: Option<(&str, u32, &str, &str)>) -> StatusAnswer {
    let operations: Vec<serde_json::Value> = op
        .into_iter()
        .map(|(number, state, amount, currency)| {
            serde_json::json!({"payinStateID": state.to_string(), "payinAmount": amount,
                "payinCurrency": currency, "payinMerchantOperationNumber": number, "payinID": "77"})
        })
        .collect();
    let body = serde_json::json!({"payinMerchantID": merchant, "operations": operations});
    StatusAnswer::Monnet(
        monnet::parse_status_response(RawResponse::new(200, body.to_string()))
            .expect("a valid status answer"),
    )
}

fn run(payment: &Payment, facts: &[Fact]) -> Payment {
    let mut p = payment.clone();
    for fact in facts {
        p = step(&p, fact, T0 + Duration::minutes(5), &Policy::default()).payment;
    }
    p
}

fn open(gateway_ref: &str) -> Fact {
    Fact::CreateAnswered(CreateAnswer::Open {
        gateway_ref: Some(gateway_ref.into()),
        payment_url: Some("https://pay.example/x".into()),
    })
}

#[test]
fn the_happy_path_of_each_gateway() {
    let sp = run(
        &new_payment(Gateway::Smilepayz),
        &[
            open("T1"),
            Fact::EventReceived {
                event_id: "T1|ts".into(),
                claim: "SUCCESS".into(),
            },
        ],
    );
    assert_eq!(sp.state, State::Created, "an event alone changes nothing");
    assert_eq!(sp.payment_url.as_deref(), Some("https://pay.example/x"));
    let paid = step(
        &sp,
        &Fact::StatusAnswered(sp_answer(Some("SUCCESS"), 20000, "PEN", Some("T1"), None)),
        T0,
        &Policy::default(),
    );
    assert_eq!(paid.payment.state, State::Paid);
    assert_eq!(paid.actions, vec![Action::HandOver(OutcomeKind::Paid)]);
    assert_eq!(paid.entry.fact, "status_answered");
    assert_eq!(paid.entry.detail["tradeNo"], "T1");
    assert_eq!(paid.payment.next_check_at, None);

    let mn = run(&new_payment(Gateway::Monnet), &[open("99")]);
    let paid = step(
        &mn,
        &Fact::StatusAnswered(mn_answer("4001", Some((ORDER, 5, "200.00", "PEN")))),
        T0,
        &Policy::default(),
    );
    assert_eq!(paid.payment.state, State::Paid);
    assert_eq!(paid.entry.detail["state"], 5);
}

#[test]
fn each_branch_of_an_open_payment() {
    let sp = new_payment(Gateway::Smilepayz);
    let policy = Policy::default();
    let at = |facts: &[Fact]| run(&sp, facts).state;
    let maybe = Fact::CreateMaybeSent {
        reason: "timeout".into(),
    };
    assert_eq!(at(std::slice::from_ref(&maybe)), State::Unknown);
    assert_eq!(
        at(&[maybe.clone(), Fact::NotFound]),
        State::Unknown,
        "one look is not enough: asked again"
    );
    assert_eq!(
        at(&[maybe.clone(), Fact::NotFound, Fact::NotFound]),
        State::Intent,
        "reconciled: nothing exists"
    );
    assert_eq!(
        at(&[maybe.clone(), Fact::CannotTell { reason: "x".into() }]),
        State::Unknown
    );
    assert_eq!(
        at(&[Fact::CreateRefused {
            code: "06".into(),
            message: "field".into()
        }]),
        State::Rejected
    );
    assert_eq!(
        at(&[Fact::CreateNotSent {
            reason: "refused".into()
        }]),
        State::Intent
    );
    assert_eq!(
        at(&[Fact::CreateAnswered(CreateAnswer::Declined {
            gateway_ref: Some("T1".into()),
            status: "FAILED".into()
        })]),
        State::NotPaid
    );
    assert_eq!(
        at(&[Fact::CreateAnswered(CreateAnswer::CheckStatus {
            gateway_ref: None,
            status: "SUCCESS".into()
        })]),
        State::Pending
    );
    // Pending, not paid, another amount.
    let created = run(&sp, &[open("T1")]);
    let answer = |a| step(&created, &Fact::StatusAnswered(a), T0, &policy).payment;
    assert_eq!(
        answer(sp_answer(
            Some("PROCESSING"),
            20000,
            "PEN",
            Some("T1"),
            None
        ))
        .state,
        State::Pending
    );
    assert_eq!(
        answer(sp_answer(Some("EXPIRED"), 20000, "PEN", Some("T1"), None)).state,
        State::NotPaid
    );
    let other_amount = answer(sp_answer(Some("SUCCESS"), 100, "PEN", Some("T1"), None));
    assert_eq!(other_amount.state, State::NeedsAttention);
    assert!(
        other_amount
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("amount")),
        "{other_amount:?}"
    );
    // Another transaction than the one the create answered.
    assert_eq!(
        answer(sp_answer(Some("SUCCESS"), 20000, "PEN", Some("T2"), None)).state,
        State::NeedsAttention
    );
    // Past the deadline.
    let late = created.deadline_at + Duration::seconds(1);
    let gave_up = step(&created, &Fact::DeadlinePassed, late, &policy);
    assert_eq!(gave_up.payment.state, State::NeedsAttention);
    assert_eq!(
        gave_up.actions,
        vec![Action::HandOver(OutcomeKind::NeedsAttention)]
    );
    let early = step(&created, &Fact::DeadlinePassed, T0, &policy);
    assert_eq!(early.payment.state, State::Created, "not yet past it");
    let never = step(&sp, &Fact::DeadlinePassed, late, &policy);
    assert_eq!(
        never.payment.state,
        State::NotPaid,
        "an intent never created"
    );
}

#[test]
fn monnet_compares_merchant_operation_and_amount_text() {
    let mn = run(&new_payment(Gateway::Monnet), &[open("99")]);
    let answer = |a| {
        step(&mn, &Fact::StatusAnswered(a), T0, &Policy::default())
            .payment
            .state
    };
    assert_eq!(
        answer(mn_answer("4001", Some((ORDER, 9, "200.0", "PEN")))),
        State::Paid
    );
    assert_eq!(
        answer(mn_answer("4002", Some((ORDER, 5, "200.00", "PEN")))),
        State::NeedsAttention,
        "another merchant"
    );
    assert_eq!(
        answer(mn_answer("4001", Some((ORDER, 5, "0200.00", "PEN")))),
        State::NeedsAttention,
        "a leading zero is no rendering of the amount"
    );
    assert_eq!(
        answer(mn_answer("4001", Some((ORDER, 2, "200.00", "PEN")))),
        State::Pending
    );
    assert_eq!(
        answer(mn_answer("4001", Some((ORDER, 42, "200.00", "PEN")))),
        State::Pending,
        "an undocumented state is no verdict"
    );
    assert_eq!(
        answer(mn_answer("4001", Some((ORDER, 6, "200.00", "PEN")))),
        State::NotPaid
    );
    assert_eq!(
        answer(mn_answer("4001", None)),
        State::Created,
        "not listed: ask again"
    );
}

/// A SmilePayz payment created (`T1`) and confirmed paid by a matching
/// status answer.
fn paid_smilepayz() -> Payment {
    run(
        &new_payment(Gateway::Smilepayz),
        &[
            open("T1"),
            Fact::StatusAnswered(sp_answer(Some("SUCCESS"), 20000, "PEN", Some("T1"), None)),
        ],
    )
}

#[test]
fn a_final_state_absorbs_and_contradictions_raise_attention() {
    let policy = Policy::default();
    let paid = paid_smilepayz();
    assert_eq!(paid.state, State::Paid);
    for fact in [
        Fact::NotFound,
        Fact::CreateRefused {
            code: "1".into(),
            message: "m".into(),
        },
        Fact::CannotTell { reason: "x".into() },
        Fact::DeadlinePassed,
        Fact::StatusAnswered(sp_answer(Some("SUCCESS"), 20000, "PEN", Some("T1"), None)),
    ] {
        let s = step(&paid, &fact, paid.deadline_at + Duration::hours(1), &policy);
        assert_eq!(s.payment.state, State::Paid, "{fact:?}");
        assert!(s.actions.iter().all(|a| !matches!(a, Action::HandOver(_))));
    }
    // A later event asks once more; a refund seen then raises attention.
    let event = step(
        &paid,
        &Fact::EventReceived {
            event_id: "e".into(),
            claim: "FAILED".into(),
        },
        T0,
        &policy,
    );
    assert_eq!(event.payment.state, State::Paid);
    assert_eq!(event.payment.next_check_at, Some(T0));
    let refunded = step(
        &event.payment,
        &Fact::StatusAnswered(sp_answer(Some("FAILED"), 20000, "PEN", Some("T1"), None)),
        T0,
        &policy,
    );
    assert_eq!(refunded.payment.state, State::NeedsAttention);
    assert_eq!(
        refunded.actions,
        vec![Action::HandOver(OutcomeKind::NeedsAttention)]
    );
    assert!(
        refunded
            .payment
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("paid earlier")),
        "{:?}",
        refunded.payment.reason
    );
    // Paid after it was settled as not paid.
    let expired = run(
        &new_payment(Gateway::Smilepayz),
        &[
            open("T1"),
            Fact::StatusAnswered(sp_answer(Some("EXPIRED"), 20000, "PEN", Some("T1"), None)),
        ],
    );
    let late_pay = step(
        &expired,
        &Fact::StatusAnswered(sp_answer(Some("SUCCESS"), 20000, "PEN", Some("T1"), None)),
        T0,
        &policy,
    );
    assert_eq!(late_pay.payment.state, State::NeedsAttention);
}

#[test]
fn backoff_doubles_up_to_its_maximum() {
    let policy = Policy::default();
    assert_eq!(policy.backoff(0), Duration::seconds(30));
    assert_eq!(policy.backoff(1), Duration::seconds(60));
    assert_eq!(policy.backoff(5), Duration::minutes(15));
    assert_eq!(policy.backoff(u32::MAX), Duration::minutes(15));
}

// --- Properties ---------------------------------------------------------

/// An answer that, by the oracle's own reading, confirms the record.
fn oracle_confirms(payment: &Payment, answer: &StatusAnswer) -> bool {
    let amount = payment.amount.minor_units();
    match answer {
        StatusAnswer::Smilepayz(a) => {
            a.status.as_ref().map(|s| s.as_str()) == Some("SUCCESS")
                && a.money
                    .is_some_and(|m| m.minor_units() == amount && m.currency().as_str() == "PEN")
                && a.order_no.as_deref().is_none_or(|o| o == payment.order)
                && a.trade_no.is_some()
                && payment
                    .gateway_ref
                    .as_deref()
                    .is_none_or(|r| Some(r) == a.trade_no.as_deref())
        }
        StatusAnswer::Monnet(a) => {
            let renderings = ["200.00", "200.0", "200"];
            a.merchant_id == payment.merchant
                && a.operations.iter().any(|op| {
                    op.merchant_operation_number == payment.order
                        && matches!(op.state.id(), 5 | 9)
                        && renderings.contains(&op.amount_text.as_str())
                        && op.currency == "PEN"
                })
                && amount == 20000
        }
    }
}

fn sp_answers() -> impl Strategy<Value = StatusAnswer> {
    (
        prop::option::of(prop::sample::select(vec![
            "SUCCESS",
            "PROCESSING",
            "INIT",
            "FAILED",
            "EXPIRED",
            "CANCELLED",
            "ON_HOLD",
        ])),
        prop::sample::select(vec![20000u64, 19999, 2000, 200000]),
        prop::sample::select(vec!["PEN", "USD"]),
        prop::option::of(prop::sample::select(vec!["T1", "T2"])),
        prop::option::of(prop::sample::select(vec![ORDER, "ORD2"])),
    )
        .prop_map(|(s, a, c, t, o)| sp_answer(s, a, c, t, o))
}

fn mn_answers() -> impl Strategy<Value = StatusAnswer> {
    (
        prop::sample::select(vec!["4001", "4002"]),
        prop::option::of((
            prop::sample::select(vec![ORDER, "ORD2", "ORD"]),
            prop::sample::select(vec![1u32, 2, 3, 5, 6, 9, 10, 11, 12]),
            prop::sample::select(vec![
                "200.00", "200.0", "200", "0200.00", "199.99", "2000.00",
            ]),
            prop::sample::select(vec!["PEN", "USD"]),
        )),
    )
        .prop_map(|(m, op)| mn_answer(m, op))
}

fn facts(gateway: Gateway) -> impl Strategy<Value = Fact> {
    let answers = match gateway {
        Gateway::Smilepayz => sp_answers().boxed(),
        Gateway::Monnet => mn_answers().boxed(),
    };
    let refs = prop::option::of(prop::sample::select(vec!["T1".to_owned(), "T2".to_owned()]));
    prop_oneof![
        4 => answers.prop_map(Fact::StatusAnswered),
        2 => refs.clone().prop_map(|gateway_ref| Fact::CreateAnswered(CreateAnswer::Open {
            gateway_ref,
            payment_url: Some("https://pay.example/x".into()),
        })),
        1 => refs.clone().prop_map(|gateway_ref| Fact::CreateAnswered(CreateAnswer::Declined {
            gateway_ref,
            status: "FAILED".into(),
        })),
        1 => refs.prop_map(|gateway_ref| Fact::CreateAnswered(CreateAnswer::CheckStatus {
            gateway_ref,
            status: "SUCCESS".into(),
        })),
        1 => Just(Fact::CreateRefused { code: "06".into(), message: "m".into() }),
        1 => Just(Fact::CreateNotSent { reason: "refused".into() }),
        2 => Just(Fact::CreateMaybeSent { reason: "timeout".into() }),
        // Events of every kind of claim, genuine or forged alike.
        3 => prop::sample::select(vec!["SUCCESS", "FAILED", "5", "paid"]).prop_map(|claim| {
            Fact::EventReceived { event_id: format!("e-{claim}"), claim: claim.into() }
        }),
        1 => Just(Fact::NotFound),
        1 => Just(Fact::CannotTell { reason: "busy".into() }),
        1 => Just(Fact::DeadlinePassed),
    ]
}

/// A gateway and a walk of facts, each with minutes elapsed before it (the
/// walk crosses the deadline now and then).
fn walks() -> impl Strategy<Value = (Gateway, Vec<(u16, Fact)>)> {
    prop::sample::select(vec![Gateway::Smilepayz, Gateway::Monnet])
        .prop_flat_map(|g| (Just(g), prop::collection::vec((0u16..40, facts(g)), 1..24)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// No path reaches paid without a status answer that matches the
    /// record (order number, amount, currency, merchant, and the
    /// transaction the create answered).
    #[test]
    fn paid_only_on_a_matching_status_answer((gateway, walk) in walks()) {
        let policy = Policy::default();
        let mut payment = new_payment(gateway);
        let mut now = T0;
        for (minutes, fact) in walk {
            now += Duration::minutes(i64::from(minutes));
            let before = payment.clone();
            let s = step(&payment, &fact, now, &policy);
            if s.payment.state == State::Paid && before.state != State::Paid {
                match &fact {
                    Fact::StatusAnswered(answer) => prop_assert!(
                        oracle_confirms(&before, answer),
                        "paid on an answer that does not match: {:?} {:?}", before, answer
                    ),
                    other => prop_assert!(false, "paid on {:?}", other),
                }
            }
            payment = s.payment;
        }
    }

    /// Final states absorb every later fact: the money state never flips
    /// (paid never becomes not paid or the reverse); a contradiction raises
    /// needs_attention, handed over once, and needs_attention stays.
    #[test]
    fn final_states_absorb((gateway, walk) in walks()) {
        let policy = Policy::default();
        let mut payment = new_payment(gateway);
        let mut now = T0;
        for (minutes, fact) in walk {
            now += Duration::minutes(i64::from(minutes));
            let s = step(&payment, &fact, now, &policy);
            let (from, to) = (payment.state, s.payment.state);
            prop_assert_eq!(s.payment.version, payment.version + 1);
            prop_assert_eq!(s.entry.seq, s.payment.version);
            prop_assert_eq!((s.entry.from, s.entry.to), (from, to));
            if from.is_final() {
                prop_assert!(to == from || to == State::NeedsAttention, "{:?} -> {:?} on {:?}", from, to, fact);
            }
            // Every move into an outcome is handed over, exactly once; no
            // other step hands anything over.
            let handed: Vec<Action> = s.actions.iter().filter(|a| matches!(a, Action::HandOver(_))).cloned().collect();
            match OutcomeKind::of(to) {
                Some(kind) if to != from => prop_assert_eq!(handed, vec![Action::HandOver(kind)]),
                _ => prop_assert!(handed.is_empty(), "{:?} -> {:?} handed over {:?}", from, to, handed),
            }
            // An open payment always has its next look scheduled, never
            // past its deadline.
            if !to.is_final() {
                let next = s.payment.next_check_at;
                prop_assert!(next.is_some_and(|at| at <= s.payment.deadline_at), "{:?}", s.payment);
            }
            // A final payment is looked at again only after an event, and
            // once: any answer of a status call ends the look (no endless
            // asking), and nothing else makes it due.
            if to.is_final() {
                let answer = matches!(fact, Fact::StatusAnswered(_) | Fact::NotFound | Fact::CannotTell { .. });
                if answer {
                    prop_assert_eq!(s.payment.next_check_at, None, "after {:?}", fact);
                }
                if from.is_final() && payment.next_check_at.is_none() && !matches!(fact, Fact::EventReceived { .. }) {
                    prop_assert_eq!(s.payment.next_check_at, None, "after {:?}", fact);
                }
            }
            payment = s.payment;
        }
    }

    /// An event alone, forged or genuine, with any other fact but a status
    /// answer, never makes a payment paid.
    #[test]
    fn events_alone_never_pay((gateway, walk) in walks()) {
        let policy = Policy::default();
        let mut payment = new_payment(gateway);
        let mut now = T0;
        for (minutes, fact) in walk.into_iter().filter(|(_, f)| !matches!(f, Fact::StatusAnswered(_))) {
            now += Duration::minutes(i64::from(minutes));
            payment = step(&payment, &fact, now, &policy).payment;
            prop_assert_ne!(payment.state, State::Paid);
        }
    }
}

#[test]
fn a_look_after_the_outcome_that_settles_nothing_is_not_repeated() {
    let policy = Policy::default();
    let paid = paid_smilepayz();
    assert_eq!(paid.state, State::Paid);
    for answer in [
        Fact::NotFound,
        Fact::CannotTell {
            reason: "timeout".into(),
        },
    ] {
        let event = Fact::EventReceived {
            event_id: "E1".into(),
            claim: "SUCCESS".into(),
        };
        let due = step(&paid, &event, T0 + Duration::minutes(10), &policy).payment;
        assert!(due.next_check_at.is_some(), "the event asks for one look");
        let after = step(&due, &answer, T0 + Duration::minutes(11), &policy);
        assert_eq!(after.payment.state, State::Paid);
        assert_eq!(after.payment.next_check_at, None, "{answer:?}");
        assert!(after.actions.is_empty());
    }
}

#[test]
fn an_intent_the_gateway_cannot_tell_about_at_its_deadline_needs_attention() {
    let policy = Policy::default();
    let payment = new_payment(Gateway::Monnet);
    let deadline = payment.deadline_at;
    // Maybe sent, reconciled absent: an intent again, a create having left
    // once.
    let reconciled = run(
        &payment,
        &[
            Fact::CreateMaybeSent {
                reason: "timeout".into(),
            },
            Fact::NotFound,
            Fact::NotFound,
        ],
    );
    assert_eq!(reconciled.state, State::Intent);
    assert!(reconciled.checks > 0);
    // The last look at the deadline cannot tell: unknown, then attention.
    let unsure = step(
        &reconciled,
        &Fact::CannotTell {
            reason: "HTTP 502".into(),
        },
        deadline,
        &policy,
    )
    .payment;
    assert_eq!(unsure.state, State::Unknown);
    let settled = step(&unsure, &Fact::DeadlinePassed, deadline, &policy).payment;
    assert_eq!(settled.state, State::NeedsAttention);
    // The last look finds nothing: never created, not paid.
    let absent = step(&reconciled, &Fact::NotFound, deadline, &policy).payment;
    let settled = step(&absent, &Fact::DeadlinePassed, deadline, &policy).payment;
    assert_eq!(settled.state, State::NotPaid);
}

#[test]
fn a_policy_of_huge_durations_is_bounded_not_a_panic() {
    let policy = Policy {
        first_check_after: Duration::MAX,
        reconcile_after: Duration::MAX,
        backoff_base: Duration::MAX,
        backoff_max: Duration::MAX,
        deadline_margin: Duration::MAX,
        check_lease: Duration::MIN,
        ..Policy::default()
    };
    let bounded = policy.clone().bounded();
    assert_eq!(bounded.first_check_after, Policy::MAX_DURATION);
    assert_eq!(bounded.check_lease, Duration::ZERO);
    let payment = new_payment(Gateway::Smilepayz);
    let created = step(&payment, &open("T1"), T0, &policy).payment;
    assert_eq!(created.state, State::Created);
    let unsure = step(
        &created,
        &Fact::CannotTell { reason: "x".into() },
        T0,
        &policy,
    );
    assert!(unsure.payment.next_check_at.is_some());
}
