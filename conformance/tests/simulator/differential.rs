//! Differential property test: **whatever the SDK's builders accept, the
//! simulator accepts** (GATEWAYS.md: "Send strictly, accept like the
//! gateway"). The SDK's rules (core) and the simulator's (its own
//! `rules/`, written independently) are two readings of GATEWAYS.md; this
//! test generates values wider than the SDK's rules around every boundary,
//! and every request `build()` lets through is prepared by the SDK, sent
//! to a fresh in-process simulator and must be answered as accepted.
//!
//! Disagreements this test found, and how each was resolved (GATEWAYS.md
//! decides which side is wrong):
//!
//! 1. SmilePayz `tradeType`: the SDK sent any number (`TradeType::Other`),
//!    the simulator takes 1 or 2. GATEWAYS.md lists 1 pay-in, 2 pay-out:
//!    SDK tightened (`model::trade_type`), `Other` refused when sending.
//! 2. SmilePayz `balanceTypes`: the SDK sent any upper-case code, the
//!    simulator takes `BALANCE` and `AVAILABLE`, the two GATEWAYS.md lists:
//!    SDK tightened (`model::balance_types`).
//! 3. SmilePayz `purpose` and `payer.name` of white space only: the SDK
//!    sent them, the simulator reads them as empty (mandatory fields,
//!    trimmed). GATEWAYS.md says 1–64 / mandatory, nothing for blanks:
//!    SDK tightened (`validate::not_blank` in `model::purpose`,
//!    `model::name`, so merchant names too).
//! 4. SmilePayz `redirectUrl`/`callbackUrl` over 256 UTF-8 bytes but not
//!    over 256 characters (`https://ñandú.pe/…`): the simulator counted
//!    bytes, GATEWAYS.md says "≤ 256 chars" as the SDK reads it: simulator
//!    fixed (`rules::smilepayz::url_ok` counts characters).
//! 5. Monnet `payinAmount` of more than 12 integer digits and
//!    `payinExpirationTime` of more than 6 digits: the SDK sent up to
//!    `u64::MAX` céntimos and `u32::MAX` minutes, the simulator refuses
//!    them (`0015`, `0092`). GATEWAYS.md gives no maximum, so nothing
//!    documents them as acceptable: SDK tightened
//!    (`create::MAX_AMOUNT_MINOR` = 999999999999.99,
//!    `create::MAX_EXPIRATION_MINUTES` = 999999), the bounds written in
//!    the simulator's README.
//!
//! Generation notes: the error-trigger amounts (40003–40006 céntimos,
//! "400.03"–"400.06") are moved off, they answer errors on purpose; Monnet
//! currencies are PEN and USD, the ones the simulated merchant is enabled
//! for (another currency is `0019`, an account setting, not a field rule).

use std::sync::atomic::{AtomicUsize, Ordering};

use pasarela_core::monnet::{
    self, BillingAddress, Card, CardExpiration, CardMethod, CreateRequest, Customer, Cvv,
    DocumentType, Pan, Product, Shipping, StatusQuery, Transaction,
};
use pasarela_core::smilepayz::{
    self, BalanceType, IdType, InquiryBalanceRequest, InquiryStatusRequest, Merchant, PayInRequest,
    Payer, TradeType,
};
use pasarela_core::{Currency, Money, PreparedRequest, RawResponse};
use pasarela_simulator::{IN_PROCESS_ORIGIN, Simulator};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use time::macros::{datetime, offset};
use time::{Date, Duration, OffsetDateTime};

use super::raw;
use super::support::{code, json, monnet_code, monnet_config, simulator, smilepayz_config};

/// The one clock reading of every case: the SDK signs at it, the simulator
/// judges at it (so the timestamp window and "today" agree).
const NOW: OffsetDateTime = datetime!(2026-03-10 15:00:00 UTC);

/// Cases per request type: enough to cross every boundary many times,
/// few enough that the module stays well under 20 s in debug.
const CASES: u32 = 256;

fn runner() -> TestRunner {
    TestRunner::new(RunnerConfig {
        cases: CASES,
        // No regressions files: a failure prints its minimal input.
        failure_persistence: None,
        ..RunnerConfig::default()
    })
}

/// Runs the property over `strategy`; `case` answers whether the SDK built
/// the request (and then checked the simulator's answer). Fails as well
/// when too few cases got past `build()`, so the property cannot pass by
/// generating nothing the SDK accepts.
fn run<S: Strategy>(name: &str, strategy: S, case: impl Fn(S::Value) -> Result<bool, TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let built = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let result = runner().run(&strategy, |input| {
        if case(input)? {
            built.fetch_add(1, Ordering::Relaxed);
        } else {
            refused.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: the SDK built a request the simulator refuses: {e}");
    }
    let (built, refused) = (built.into_inner(), refused.into_inner());
    assert!(
        built >= CASES as usize / 8 && refused >= CASES as usize / 8,
        "{name}: generation is lopsided ({built} built, {refused} refused by build())"
    );
}

// --- generators ------------------------------------------------------------

/// Characters outside every class the rules allow, and some inside.
fn odd_char() -> impl Strategy<Value = char> + Clone {
    select(vec![
        '-', '_', ' ', '.', '@', '/', '+', ':', '"', '\\', '%', '#', '?', '&', 'ñ', 'é', 'Ñ', 'ü',
        '€', '日', '١', '\u{a0}', '\u{2028}', '\u{200b}', '\0', '\t', '\n', '\r', '\u{7f}',
        '\u{1b}', '\u{85}',
    ])
}

fn any_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        3 => prop::char::range('0', '9'),
        3 => odd_char(),
    ]
}

fn alnum() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        prop::char::range('a', 'z'),
        prop::char::range('A', 'Z'),
        prop::char::range('0', '9'),
    ]
}

fn digit() -> impl Strategy<Value = char> + Clone {
    prop::char::range('0', '9')
}

fn upper_code() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        4 => prop::char::range('A', 'Z'),
        1 => prop::char::range('0', '9'),
        1 => Just('_'),
    ]
}

/// Printable text: letters, digits, spaces and non-ASCII letters.
fn printable() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        6 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        1 => prop::char::range('0', '9'),
        2 => Just(' '),
        1 => select(vec!['ñ', 'é', 'Ñ', '日', '-', '.', '\'']),
    ]
}

/// Most values of a field are ones the SDK's rule takes (`narrow`, its
/// limits included); one in `WIDE` comes from `wide`, beyond the rule. With
/// a dozen fields a request, most cases then build, and every case still
/// probes a field or two past its limits.
const WIDE: u32 = 16;

fn either<T: std::fmt::Debug + 'static>(
    narrow: impl Strategy<Value = T> + 'static,
    wide: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<T> {
    prop_oneof![WIDE => narrow, 1 => wide].boxed()
}

/// Text of `class` characters, its length one of `lengths`.
fn pure(
    class: impl Strategy<Value = char> + Clone + 'static,
    lengths: &[usize],
) -> BoxedStrategy<String> {
    select(lengths.to_vec())
        .prop_flat_map(move |n| vec(class.clone(), n))
        .prop_map(|chars| chars.into_iter().collect::<String>())
        .boxed()
}

/// Text of `class` characters with a length among `ok` (put the rule's
/// limits there); now and then a length among `bad` (one below and one
/// above each limit), one odd character inserted, or any characters at all.
fn text(
    class: impl Strategy<Value = char> + Clone + 'static,
    ok: &[usize],
    bad: &[usize],
) -> BoxedStrategy<String> {
    let all: Vec<usize> = ok.iter().chain(bad).copied().collect();
    let tainted = (pure(class.clone(), ok), odd_char(), any::<Index>()).prop_map(|(s, c, at)| {
        let mut chars: Vec<char> = s.chars().collect();
        chars.insert(at.index(chars.len() + 1), c);
        chars.into_iter().collect()
    });
    let wide = prop_oneof![
        pure(class.clone(), if bad.is_empty() { ok } else { bad }),
        tainted,
        pure(any_char(), &all),
    ];
    either(pure(class, ok), wide)
}

/// URLs with lengths around `limit`: mostly `schemes`, ordinary hosts and
/// paths with odd (not blank) characters, up to the limit; now and then any
/// scheme, an empty or broken host, blanks, or past the limit.
fn url(schemes: &'static [&'static str], limit: usize) -> BoxedStrategy<String> {
    let hosts = vec![
        "shop.example",
        "127.0.0.1",
        "[::1]",
        "localhost:8443",
        "tienda.pe",
        "ñandú.pe",
        "user@shop.example",
    ];
    let path_char = || {
        prop_oneof![
            12 => alnum(),
            2 => select(vec!['/', '-', '_', '.', '~', '?', '=', '&', '%', '#']),
            1 => select(vec!['ñ', 'é', '€', '日', '"', '\\', '\0', '\u{7f}', '\u{1b}']),
        ]
    };
    let narrow = (
        select(schemes.to_vec()),
        select(hosts.clone()),
        select(vec![20, 30, 60, limit - 1, limit]),
        vec(path_char(), 0..8),
    );
    let wide = (
        prop_oneof![
            select(schemes.to_vec()),
            select(vec![
                "https",
                "http",
                "HTTPS",
                "ftp",
                "file",
                "javascript",
                ""
            ]),
        ],
        prop_oneof![
            select(hosts),
            select(vec!["", "a b.pe", "shop..example", "%zz", "[::1"]),
        ],
        select(vec![20, limit, limit + 1, limit + 2, 2 * limit]),
        vec(prop_oneof![3 => path_char(), 1 => odd_char()], 0..8),
    );
    either(narrow, wide)
        .prop_flat_map(move |(scheme, host, total, tail)| {
            let head = format!("{scheme}://{host}/");
            let fill = total.saturating_sub(head.chars().count() + tail.len());
            (Just(head), Just(tail), vec(alnum(), fill))
        })
        .prop_map(|(head, tail, fill)| {
            let mut url = head;
            url.extend(fill);
            url.extend(tail);
            url
        })
        .boxed()
}

/// E-mail addresses, some exactly `limit` characters long; now and then
/// one a character longer or of an odd shape.
fn email(limit: usize) -> BoxedStrategy<String> {
    let local_char = || prop_oneof![6 => alnum(), 1 => select(vec!['.', '_', '+', '-', 'ñ'])];
    let domains = vec![
        "shop.example",
        "b.pe",
        "correo.com.pe",
        "ñandú.pe",
        "x-y.pe",
    ];
    let narrow = (
        pure(local_char(), &[1, 2, 8, 20]),
        Just("@"),
        select(domains.clone()),
        select(vec![0, limit - 1, limit]),
    );
    let wide = (
        text(local_char(), &[1, 2, 8, 20], &[0, 60]),
        select(vec!["@", "", "@@", " @"]),
        prop_oneof![
            select(domains),
            select(vec![
                "example",
                ".pe",
                "pe.",
                "a@b.pe",
                "",
                "a b.pe",
                "x.p\u{7f}e",
                "b.pe\n",
            ]),
        ],
        select(vec![0, limit, limit + 1, limit + 2]),
    );
    either(narrow, wide)
        .prop_map(|(mut local, at, domain, total)| {
            let head = local.chars().count() + at.chars().count() + domain.chars().count();
            if total > head {
                local.extend(std::iter::repeat_n('a', total - head));
            }
            format!("{local}{at}{domain}")
        })
        .boxed()
}

/// Whole numbers: `ok` (the rule's limits and some inside) mostly, `bad`
/// (one past each limit, the extremes) now and then.
fn number<T>(ok: &[T], bad: &[T]) -> BoxedStrategy<T>
where
    T: Clone + std::fmt::Debug + 'static,
{
    either(select(ok.to_vec()), select(bad.to_vec()))
}

/// Minor units: `ok` or in `range` mostly, `bad` now and then; the error
/// triggers moved off.
fn minor_units(
    ok: &[u64],
    range: std::ops::RangeInclusive<u64>,
    bad: &[u64],
) -> BoxedStrategy<u64> {
    either(
        prop_oneof![select(ok.to_vec()), range],
        prop_oneof![select(bad.to_vec()), any::<u64>()],
    )
    .prop_map(|a| {
        if (40003..=40006).contains(&a) {
            a + 10
        } else {
            a
        }
    })
    .boxed()
}

fn maybe<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.6, s)
}

// --- sending -----------------------------------------------------------------

fn fresh() -> Simulator {
    simulator()
}

/// The SmilePayz configuration for the simulator's credentials (the same
/// for every simulator made with the default settings).
fn sp_config() -> &'static smilepayz::Config {
    static CONFIG: std::sync::OnceLock<smilepayz::Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| smilepayz_config(&fresh().credentials(IN_PROCESS_ORIGIN)))
}

fn mn_config() -> &'static monnet::Config {
    static CONFIG: std::sync::OnceLock<monnet::Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| monnet_config(&fresh().credentials(IN_PROCESS_ORIGIN)))
}

fn send(request: &PreparedRequest) -> RawResponse {
    raw::handle(&fresh(), request, NOW)
}

/// Fails the case unless `accepted`, with the request as sent (card data
/// masked) and the answer.
fn expect(
    accepted: bool,
    request: &PreparedRequest,
    response: &RawResponse,
) -> Result<(), TestCaseError> {
    if accepted {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "refused: HTTP {} {}\nsent:\n{}",
            response.status,
            json(response),
            request.to_wire_text()
        )))
    }
}

// --- SmilePayz pay-in ----------------------------------------------------------

#[derive(Debug, Clone)]
struct PayInInput {
    merchant_name: Option<String>,
    sub_merchant_id: Option<String>,
    sub_merchant_name: Option<String>,
    order_no: String,
    amount: u64,
    currency: &'static str,
    purpose: String,
    payer_name: String,
    id_type: Option<IdType>,
    identity: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    payment_method: Option<String>,
    expiry_period: Option<u32>,
    redirect_url: Option<String>,
    callback_url: Option<String>,
    area: Option<u16>,
}

fn id_type() -> impl Strategy<Value = IdType> {
    either(
        select(vec![IdType::Dni, IdType::Ce, IdType::Pas, IdType::Ruc]),
        select(vec![
            "NID", "FID", "PP", "TIN", "dni", "", " DNI", "LICENSE",
        ])
        .prop_map(|s| IdType::Other(s.to_owned())),
    )
}

/// Phone numbers of `min..=max` digits, after a `+` when `plus` allows one;
/// now and then of other lengths or signs.
fn phone(min: usize, max: usize, plus: bool) -> BoxedStrategy<String> {
    let signs = if plus { vec!["", "+"] } else { vec![""] };
    let narrow = (select(signs), pure(digit(), &[min, min + 1, max - 1, max]));
    let wide = (
        select(vec!["", "+", "++", " ", "-"]),
        text(digit(), &[min, max], &[0, min - 1, max + 1]),
    );
    either(narrow, wide)
        .prop_map(|(p, d)| format!("{p}{d}"))
        .boxed()
}

fn pay_in_input() -> impl Strategy<Value = PayInInput> {
    // The merchant id is the configuration's (the SDK refuses any other
    // before signing: `smilepayz::check_merchant`); its rules are the
    // partner id's, tested where `Config::new` checks them.
    let merchant = (
        maybe(text(printable(), &[1, 2, 127, 128], &[0, 129])),
        maybe(text(alnum(), &[1, 2, 63, 64], &[0, 65])),
        maybe(text(printable(), &[1, 2, 127, 128], &[0, 129])),
    );
    let order = (
        text(alnum(), &[6, 7, 31, 32], &[0, 1, 5, 33]),
        minor_units(
            &[100, 101, 40001, 999_999_998, 999_999_999],
            100..=999_999_999,
            &[0, 1, 99, 1_000_000_000],
        ),
        either(Just("PEN"), Just("USD")),
        text(printable(), &[1, 2, 63, 64], &[0, 65]),
    );
    let payer = (
        text(printable(), &[1, 2, 127, 128], &[0, 129]),
        maybe(id_type()),
        maybe(text(
            prop_oneof![4 => alnum(), 1 => Just('-')],
            &[1, 2, 31, 32],
            &[0, 33],
        )),
        maybe(phone(6, 15, true)),
        maybe(email(254)),
    );
    let rest = (
        maybe(prop_oneof![
            3 => Just("CASHIER_PE".to_owned()),
            1 => text(upper_code(), &[1, 2, 31, 32], &[0, 33]),
        ]),
        maybe(number(
            &[300, 301, 3600, 86_399, 86_400],
            &[0, 1, 299, 86_401, u32::MAX],
        )),
        maybe(url(&["http", "https"], 256)),
        maybe(url(&["http", "https"], 256)),
        maybe(number(&[1u16, 15, 998, 999], &[0, 1000, u16::MAX])),
    );
    (merchant, order, payer, rest).prop_map(
        |(
            (merchant_name, sub_merchant_id, sub_merchant_name),
            (order_no, amount, currency, purpose),
            (payer_name, id_type, identity, phone, email),
            (payment_method, expiry_period, redirect_url, callback_url, area),
        )| PayInInput {
            merchant_name,
            sub_merchant_id,
            sub_merchant_name,
            order_no,
            amount,
            currency,
            purpose,
            payer_name,
            id_type,
            identity,
            phone,
            email,
            payment_method,
            expiry_period,
            redirect_url,
            callback_url,
            area,
        },
    )
}

fn pay_in_case(input: PayInInput) -> Result<bool, TestCaseError> {
    let mut merchant = Merchant::of(sp_config());
    if let Some(v) = input.merchant_name {
        merchant = merchant.with_merchant_name(v);
    }
    if let Some(v) = input.sub_merchant_id {
        merchant = merchant.with_sub_merchant_id(v);
    }
    if let Some(v) = input.sub_merchant_name {
        merchant = merchant.with_sub_merchant_name(v);
    }
    let mut payer = Payer::new(input.payer_name);
    if let Some(v) = input.id_type {
        payer = payer.with_id_type(v);
    }
    if let Some(v) = input.identity {
        payer = payer.with_identity(v);
    }
    if let Some(v) = input.phone {
        payer = payer.with_phone(v);
    }
    if let Some(v) = input.email {
        payer = payer.with_email(v);
    }
    let money = Money::new(input.amount, Currency::new(input.currency).unwrap());
    let mut builder = PayInRequest::builder(merchant, input.order_no, money, input.purpose, payer);
    if let Some(v) = input.payment_method {
        builder = builder.payment_method(v.as_str());
    }
    if let Some(v) = input.expiry_period {
        builder = builder.expiry_period(v);
    }
    if let Some(v) = input.redirect_url {
        builder = builder.redirect_url(v);
    }
    if let Some(v) = input.callback_url {
        builder = builder.callback_url(v);
    }
    if let Some(v) = input.area {
        builder = builder.area(v);
    }
    let Ok(request) = builder.build() else {
        return Ok(false);
    };
    let prepared = smilepayz::prepare_pay_in(sp_config(), &request, NOW).unwrap();
    let response = send(&prepared);
    expect(code(&response) == "00", &prepared, &response)?;
    Ok(true)
}

#[test]
fn smilepayz_pay_ins_the_sdk_builds_are_accepted() {
    run("SmilePayz pay-in", pay_in_input(), pay_in_case);
}

// --- SmilePayz inquiries ---------------------------------------------------------

/// Inquiries are accepted when answered `00`, or `22` (the simulator's
/// documented "no such order, trade or account": the body passed its rules).
fn inquiry_accepted(response: &RawResponse) -> bool {
    matches!(code(response).as_str(), "00" | "22")
}

fn trade_type() -> impl Strategy<Value = TradeType> {
    either(
        select(vec![TradeType::PayIn, TradeType::PayOut]),
        any::<u8>().prop_map(TradeType::Other),
    )
}

#[test]
fn smilepayz_status_inquiries_the_sdk_builds_are_accepted() {
    let reference = || maybe(text(alnum(), &[1, 2, 31, 32], &[0, 33]));
    run(
        "SmilePayz inquiry-status",
        (trade_type(), reference(), reference()),
        |(trade_type, order_no, trade_no)| {
            let mut builder = InquiryStatusRequest::builder(trade_type);
            if let Some(v) = order_no {
                builder = builder.order_no(v);
            }
            if let Some(v) = trade_no {
                builder = builder.trade_no(v);
            }
            let Ok(request) = builder.build() else {
                return Ok(false);
            };
            let prepared = smilepayz::prepare_inquiry_status(sp_config(), &request, NOW).unwrap();
            let response = send(&prepared);
            expect(inquiry_accepted(&response), &prepared, &response)?;
            Ok(true)
        },
    );
}

fn balance_type() -> impl Strategy<Value = BalanceType> {
    either(
        select(vec![BalanceType::Balance, BalanceType::Available]),
        select(vec!["PENDING", "FROZEN", "BALANCE_2", "balance", "", "A B"])
            .prop_map(|s| BalanceType::Other(s.to_owned())),
    )
}

#[test]
fn smilepayz_balance_inquiries_the_sdk_builds_are_accepted() {
    run(
        "SmilePayz inquiry-balance",
        (
            text(alnum(), &[1, 20, 127, 128], &[0, 129]),
            either(vec(balance_type(), 1..4), vec(balance_type(), 0..1)),
        ),
        |(account_no, types)| {
            let Ok(request) = InquiryBalanceRequest::builder(account_no, types).build() else {
                return Ok(false);
            };
            let prepared = smilepayz::prepare_inquiry_balance(sp_config(), &request, NOW).unwrap();
            let response = send(&prepared);
            expect(inquiry_accepted(&response), &prepared, &response)?;
            Ok(true)
        },
    );
}

// --- Monnet create ---------------------------------------------------------------

/// The card fields, shown masked when a case fails (they are generated
/// test digits, but card data stays out of output all the same).
#[derive(Clone)]
struct CardInput {
    pan: String,
    cvv: String,
    expiration: String,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CardInput {{ pan: {} chars, cvv: {} chars, expiration: {} chars }}",
            self.pan.chars().count(),
            self.cvv.chars().count(),
            self.expiration.chars().count()
        )
    }
}

#[derive(Debug, Clone)]
struct CreateInput {
    operation_number: String,
    amount: u64,
    currency: &'static str,
    method: CardMethod,
    ok_url: String,
    error_url: String,
    expiration_minutes: Option<u32>,
    language: Option<String>,
    date_time: Option<String>,
    name: String,
    last_name: String,
    email: String,
    phone: String,
    document: Option<(DocumentType, String)>,
    product: [String; 5],
    card: CardInput,
    billing: Option<[String; 5]>,
    shipping: Option<[String; 7]>,
    coupon: Option<String>,
    regular_customer: Option<String>,
    customer_id: Option<String>,
    filter_by: Option<String>,
}

fn document_type() -> impl Strategy<Value = DocumentType> {
    either(
        select(vec![
            DocumentType::Dni,
            DocumentType::Ce,
            DocumentType::Ruc,
            DocumentType::Pas,
        ]),
        select(vec!["DNI", "NID", "", " ", "dni", "CARNET"])
            .prop_map(|s| DocumentType::Other(s.to_owned())),
    )
}

fn document_number() -> BoxedStrategy<String> {
    prop_oneof![
        2 => text(digit(), &[8, 11], &[0, 1, 7, 9, 10, 12]),
        1 => text(alnum(), &[1, 2, 19, 20], &[0, 21]),
    ]
    .boxed()
}

/// A document whose number fits its type mostly; any type with any number
/// now and then.
fn document() -> BoxedStrategy<(DocumentType, String)> {
    either(
        prop_oneof![
            pure(digit(), &[8]).prop_map(|n| (DocumentType::Dni, n)),
            pure(digit(), &[11]).prop_map(|n| (DocumentType::Ruc, n)),
            (
                select(vec![DocumentType::Ce, DocumentType::Pas]),
                pure(alnum(), &[1, 2, 19, 20]),
            ),
        ],
        (document_type(), document_number()),
    )
}

/// Free text (may be empty): anything, control characters included.
fn free_text() -> BoxedStrategy<String> {
    text(any_char(), &[0, 0, 1, 2, 30, 60], &[])
}

/// A product field: "0", blanks, any short text.
fn product_field() -> BoxedStrategy<String> {
    either(
        prop_oneof![
            Just("0".to_owned()),
            text(printable(), &[1, 2, 10, 60], &[]),
        ],
        select(vec!["", " ", "\t", "\u{a0}", "\u{3000}"]).prop_map(str::to_owned),
    )
}

fn card_input() -> impl Strategy<Value = CardInput> {
    let expiration = either(
        prop_oneof![
            (2000u16..2100, 1u8..=12),
            (select(vec![0u16, 999, 1000, 9999]), select(vec![1u8, 12])),
        ]
        .prop_map(|(y, m)| format!("{y:04}-{m:02}")),
        prop_oneof![
            (0u16..10_000, select(vec![0u8, 13, 99])).prop_map(|(y, m)| format!("{y:04}-{m:02}")),
            select(vec![
                "2030-1", "2030/12", "30-12", "", "2030-12 ", "203O-12"
            ])
            .prop_map(str::to_owned),
        ],
    );
    // The card newtypes check their own rules before build() runs: wide
    // card values are drawn less often, they only test the newtypes.
    let digits = |ok: &[usize], bad: &[usize]| prop_oneof![4 => pure(digit(), ok), 1 => text(digit(), ok, bad)];
    (
        digits(&[8, 9, 16, 18, 19], &[0, 7, 20]),
        digits(&[3, 4], &[0, 2, 5]),
        expiration,
    )
        .prop_map(|(pan, cvv, expiration)| CardInput {
            pan,
            cvv,
            expiration,
        })
}

fn create_input() -> impl Strategy<Value = CreateInput> {
    let transaction = (
        text(any_char(), &[1, 2, 49, 50], &[0, 51]),
        minor_units(
            &[1, 99, 100, 40001, 40002, 99_999_999_999_999],
            1..=1_000_000_000,
            &[0, 100_000_000_000_000, u64::MAX],
        ),
        either(Just("PEN"), Just("USD")),
        select(vec![
            CardMethod::CreditOrDebit,
            CardMethod::Credit,
            CardMethod::Debit,
        ]),
        url(&["https"], 250),
        url(&["https"], 250),
        maybe(number(&[1, 2, 30, 999_999], &[0, 1_000_000, u32::MAX])),
        maybe(text(
            prop_oneof![4 => prop::char::range('A', 'Z'), 2 => prop::char::range('a', 'z')],
            &[2],
            &[0, 1, 3],
        )),
        maybe(either(
            text(printable(), &[1, 10, 25], &[]),
            select(vec!["", " ", "\t", "\u{3000}"]).prop_map(str::to_owned),
        )),
    );
    let customer = (
        text(printable(), &[1, 2, 29, 30], &[0, 31]),
        text(printable(), &[1, 2, 29, 30], &[0, 31]),
        email(50),
        phone(8, 9, false),
        maybe(document()),
    );
    let parts = (
        [
            product_field(),
            product_field(),
            product_field(),
            product_field(),
            product_field(),
        ],
        card_input(),
        maybe([
            free_text(),
            free_text(),
            free_text(),
            free_text(),
            free_text(),
        ]),
        maybe([
            free_text(),
            free_text(),
            free_text(),
            free_text(),
            free_text(),
            free_text(),
            free_text(),
        ]),
        (
            maybe(free_text()),
            maybe(free_text()),
            maybe(free_text()),
            maybe(free_text()),
        ),
    );
    (transaction, customer, parts).prop_map(
        |(
            (
                operation_number,
                amount,
                currency,
                method,
                ok_url,
                error_url,
                expiration_minutes,
                language,
                date_time,
            ),
            (name, last_name, email, phone, document),
            (product, card, billing, shipping, (coupon, regular_customer, customer_id, filter_by)),
        )| CreateInput {
            operation_number,
            amount,
            currency,
            method,
            ok_url,
            error_url,
            expiration_minutes,
            language,
            date_time,
            name,
            last_name,
            email,
            phone,
            document,
            product,
            card,
            billing,
            shipping,
            coupon,
            regular_customer,
            customer_id,
            filter_by,
        },
    )
}

fn create_case(input: CreateInput) -> Result<bool, TestCaseError> {
    let (Ok(pan), Ok(cvv), Ok(expiration)) = (
        Pan::new(input.card.pan),
        Cvv::new(input.card.cvv),
        CardExpiration::new(input.card.expiration),
    ) else {
        return Ok(false);
    };
    let mut transaction = Transaction::new(
        input.operation_number,
        Money::new(input.amount, Currency::new(input.currency).unwrap()),
        input.method,
        input.ok_url,
        input.error_url,
        NOW.to_offset(offset!(-5)).date(),
    );
    if let Some(v) = input.expiration_minutes {
        transaction = transaction.expiration_minutes(v);
    }
    if let Some(v) = input.language {
        transaction = transaction.language(v);
    }
    if let Some(v) = input.date_time {
        transaction = transaction.date_time(v);
    }
    let mut customer = Customer::new(input.name, input.last_name, input.email, input.phone);
    if let Some((kind, number)) = input.document {
        customer = customer.document(kind, number);
    }
    let [id, description, amount, sku, quantity] = input.product;
    let product = Product::new(id, description, amount, sku, quantity);
    let mut builder = CreateRequest::builder(
        transaction,
        customer,
        product,
        Card::new(pan, cvv, expiration),
    );
    if let Some([address, city, region, country, zip]) = input.billing {
        builder = builder.billing_address(BillingAddress::new(address, city, region, country, zip));
    }
    if let Some([name, phone, address, city, region, country, zip]) = input.shipping {
        builder = builder.shipping(Shipping::new(
            name, phone, address, city, region, country, zip,
        ));
    }
    if let Some(v) = input.coupon {
        builder = builder.discount_coupon(v);
    }
    if let Some(v) = input.regular_customer {
        builder = builder.regular_customer(v);
    }
    if let Some(v) = input.customer_id {
        builder = builder.customer_id(v);
    }
    if let Some(v) = input.filter_by {
        builder = builder.filter_by(v);
    }
    let Ok(request) = builder.build() else {
        return Ok(false);
    };
    let prepared = monnet::prepare_create(mn_config(), &request);
    let response = send(&prepared);
    expect(monnet_code(&response) == "0000", &prepared, &response)?;
    Ok(true)
}

#[test]
fn monnet_creates_the_sdk_builds_are_accepted() {
    run("Monnet create", create_input(), create_case);
}

// --- Monnet status query -----------------------------------------------------------

fn day(offset_days: i64) -> Date {
    NOW.to_offset(offset!(-5)).date() + Duration::days(offset_days)
}

fn date() -> impl Strategy<Value = Date> {
    either(
        select(vec![-400i64, -30, -2, -1]).prop_map(day),
        select(vec![
            day(0),
            day(1),
            Date::MIN,
            Date::from_calendar_date(-1, time::Month::December, 31).unwrap(),
            Date::from_calendar_date(0, time::Month::January, 1).unwrap(),
            Date::from_calendar_date(9999, time::Month::December, 31).unwrap(),
            Date::MAX,
        ]),
    )
}

#[test]
fn monnet_status_queries_the_sdk_builds_are_accepted() {
    let today = NOW.to_offset(offset!(-5)).date();
    run(
        "Monnet status query",
        (
            maybe(text(any_char(), &[1, 2, 49, 50], &[0, 51])),
            maybe((date(), date())),
        ),
        |(operation_number, range)| {
            let query = match (operation_number, range) {
                (Some(op), Some((start, end))) => {
                    StatusQuery::by_operation_number(op).with_date_range(start, end)
                }
                (Some(op), None) => StatusQuery::by_operation_number(op),
                (None, Some((start, end))) => StatusQuery::by_date_range(start, end),
                (None, None) => return Ok(false),
            };
            let Ok(prepared) = monnet::prepare_status_query(mn_config(), &query, today) else {
                return Ok(false);
            };
            let response = send(&prepared);
            let accepted = response.status == 200
                && monnet_code(&response) == "<none>"
                && monnet::parse_status_response(response.clone()).is_ok();
            expect(accepted, &prepared, &response)?;
            Ok(true)
        },
    );
}
