//! Secrets, card data and payer personal data never reach anything the
//! library formats.
//!
//! Runs both gateways' flows with distinctive TEST ONLY secrets and a payer
//! with every personal field set, collects the `Debug` of every public type
//! along the way and the `Display` of every error, and scans it all: zero
//! hits allowed. (The wire text of a request is the request: it carries the
//! personal data it sends, and only its card data and credentials masked.)

use pasarela_core::Money;
use pasarela_core::client::{
    ClientError, MonnetClient, MonnetSettings, SmilepayzClient, SmilepayzSettings,
};
use pasarela_core::crypto::{Backend, PrivateKey, PublicKey};
use pasarela_core::monnet::{self, Card, CardExpiration, CreateRequest, Cvv, Pan, StatusQuery};
use pasarela_core::smilepayz::{self, Merchant, PayInRequest, Payer};
use pasarela_core::transport::{Delivery, TransportError, TransportErrorKind};
use pasarela_core::{MerchantSecret, MonnetKey, PreparedRequest, RawResponse, webhook};
use time::macros::datetime;

const PAN: &str = "4517721004856075";
const CVV: &str = "9817";
const EXPIRY: &str = "2031-09";
const SECRET: &str = "TEST-ONLY-merchant-secret-Zq81";
const KEY_MONNET: &str = "TEST-ONLY-key-monnet-Xw55";
const PRIVATE_PEM: &str = include_str!("../../testdata/keys/merchant_private_pkcs8.pem");
const PRIVATE_B64: &str = include_str!("../../testdata/keys/merchant_private_pkcs8.b64");
const PLATFORM_PEM: &str = include_str!("../../testdata/keys/platform_private_pkcs8.pem");

// The payer's personal data (Ley 29733), distinctive.
const PAYER_NAME: &str = "Rosalinda Quispeyupanqui";
const PAYER_EMAIL: &str = "rosalinda.qy@correo-prueba.pe";
const PAYER_PHONE: &str = "+51987650321";
const PAYER_DOCUMENT: &str = "47815263";
// The Monnet samples' customer (crate::samples::monnet_create_with_card).
const CUSTOMER: [&str; 6] = [
    "Quispe",
    "rosa@example.com",
    "987654321",
    "44556677",
    "Av. Arequipa 123",
    "Rosa Quispe",
];

/// Personal data: never in `Debug`, `Display` or an error; in a request's
/// wire text, as sent.
fn personal_needles() -> Vec<String> {
    let mut out: Vec<String> = [PAYER_NAME, PAYER_EMAIL, PAYER_PHONE, PAYER_DOCUMENT]
        .iter()
        .chain(CUSTOMER.iter())
        .map(|s| (*s).to_owned())
        .collect();
    out.push("Quispeyupanqui".into());
    out.push("987650321".into());
    out
}
/// Every needle that must never appear: card data, secrets, and every
/// 16-character window of the private key's base64 (PEM and DER forms).
fn needles() -> Vec<String> {
    let mut out = vec![
        PAN.to_owned(),
        CVV.to_owned(),
        EXPIRY.to_owned(),
        SECRET.to_owned(),
        KEY_MONNET.to_owned(),
    ];
    out.push(format!("{}{}", &PAN[..6], &PAN[6..12])); // the first twelve digits
    for text in [PRIVATE_B64.trim().to_owned(), pem_body(PRIVATE_PEM)] {
        let bytes = text.as_bytes();
        for start in (0..bytes.len().saturating_sub(16)).step_by(8) {
            out.push(String::from_utf8_lossy(&bytes[start..start + 16]).into_owned());
        }
    }
    out
}

fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(' '))
        .collect()
}

struct Scan(Vec<(String, String)>);

impl Scan {
    fn debug(&mut self, what: &str, value: &impl std::fmt::Debug) {
        self.0
            .push((format!("{what} (Debug)"), format!("{value:?}")));
        self.0
            .push((format!("{what} (Debug, alternate)"), format!("{value:#?}")));
    }

    fn display(&mut self, what: &str, value: &impl std::fmt::Display) {
        self.0
            .push((format!("{what} (Display)"), value.to_string()));
    }

    fn error<E: std::fmt::Debug + std::fmt::Display>(&mut self, what: &str, e: &E) {
        self.debug(what, e);
        self.display(what, e);
    }

    fn assert_clean(&self) {
        let secrets = needles();
        let personal = personal_needles();
        let mut hits = Vec::new();
        for (what, text) in &self.0 {
            let wire = what.contains("to_wire_text");
            let needles = secrets.iter().chain(personal.iter().filter(|_| !wire));
            for needle in needles {
                if text.contains(needle.as_str()) {
                    hits.push(format!("{what} contains {needle:?}"));
                }
            }
        }
        assert!(
            hits.is_empty(),
            "{} leaks:\n{}",
            hits.len(),
            hits.join("\n")
        );
        assert!(
            self.0.len() > 60,
            "the scan covered {} outputs",
            self.0.len()
        );
    }
}

fn card() -> Card {
    Card::new(
        Pan::new(PAN).unwrap(),
        Cvv::new(CVV).unwrap(),
        CardExpiration::new(EXPIRY).unwrap(),
    )
}

fn create_request() -> CreateRequest {
    crate::samples::monnet_create_with_card("OP1", "150.00", card()).unwrap()
}

#[test]
fn nothing_formatted_leaks_secrets_card_or_personal_data() {
    let mut scan = Scan(Vec::new());

    // Secrets and keys.
    let secret = MerchantSecret::new(SECRET);
    let key_monnet = MonnetKey::new(KEY_MONNET);
    let private = PrivateKey::load(PRIVATE_PEM).unwrap();
    scan.debug("MerchantSecret", &secret);
    scan.debug("MonnetKey", &key_monnet);
    scan.debug("PrivateKey", &private);
    scan.debug("PublicKey", &private.public_key());
    scan.debug("PublicKey PEM", &private.public_key().to_pem());
    for backend in Backend::ALL {
        scan.debug("Backend", backend);
    }
    scan.debug(
        "RsaSigner",
        &pasarela_core::crypto::RsaSigner::new(&private),
    );
    #[cfg(feature = "aws-lc")]
    scan.debug(
        "AwsLcSigner",
        &pasarela_core::crypto::AwsLcSigner::new(&private).unwrap(),
    );

    scan_crypto(&mut scan, &private);

    // Card data, valid and invalid (errors must not echo the value).
    let card = card();
    scan.debug("Card", &card);
    scan.debug("Pan", card.pan());
    scan.debug("Cvv", card.cvv());
    scan.debug("CardExpiration", card.expiration());
    scan.error("Pan error", &Pan::new(format!("{PAN}X")).unwrap_err());
    scan.error(
        "Pan error (too long)",
        &Pan::new(format!("{PAN}{PAN}")).unwrap_err(),
    );
    scan.error("Cvv error", &Cvv::new(format!("{CVV}1")).unwrap_err());
    scan.error(
        "CardExpiration error",
        &CardExpiration::new("2031-13").unwrap_err(),
    );
    scan.error(
        "CardExpiration error (text)",
        &CardExpiration::new(format!("{EXPIRY}-01")).unwrap_err(),
    );

    // SmilePayz flow.
    let signer = Backend::default().signer(&private).unwrap();
    let sp_config = smilepayz::Config::new(
        "20001",
        secret.clone(),
        signer,
        smilepayz::Environment::Sandbox,
    )
    .unwrap();
    scan.debug("smilepayz::Config", &sp_config);
    let settings = SmilepayzSettings::new(sp_config.clone());
    scan.debug("SmilepayzSettings", &settings);
    let payer = Payer::new(PAYER_NAME)
        .with_id_type(smilepayz::IdType::Dni)
        .with_identity(PAYER_DOCUMENT)
        .with_phone(PAYER_PHONE)
        .with_email(PAYER_EMAIL);
    scan.debug("Payer", &payer);
    scan.debug("Payer name", payer.name());
    scan.display("Payer name", payer.name());
    scan.debug("Payer e-mail", &payer.email());
    scan.display("Payer e-mail", payer.email().unwrap());
    scan.display("Payer phone", payer.phone().unwrap());
    scan.display("Payer document", payer.identity().unwrap());
    assert_eq!(
        payer.email().unwrap().expose(),
        PAYER_EMAIL,
        "readable on purpose"
    );
    let pay_in = PayInRequest::builder(
        Merchant::new("20001"),
        "ORDER1234",
        Money::pen(20_000),
        "p",
        payer.clone(),
    )
    .build()
    .unwrap();
    scan.debug("PayInRequest", &pay_in);
    assert!(pay_in.to_json().contains(PAYER_EMAIL), "sent as given");
    let now = datetime!(2020-12-17 15:55:00 UTC);
    let prepared = smilepayz::prepare_pay_in(&sp_config, &pay_in, now).unwrap();
    scan.debug("PreparedRequest (smilepayz)", &prepared);
    let bad = PayInRequest::builder(
        Merchant::new("20001"),
        "x",
        Money::pen(20_000),
        "p",
        Payer::new("Rosa"),
    )
    .build()
    .unwrap_err();
    scan.error("ValidationError (smilepayz)", &bad);
    for broken in [
        Payer::new(format!("{PAYER_NAME}\n")),
        payer.clone().with_email(format!("{PAYER_EMAIL}@")),
        payer.clone().with_phone(format!("{PAYER_PHONE}x")),
        payer.clone().with_identity(format!("{PAYER_DOCUMENT} 1")),
    ] {
        let err = PayInRequest::builder(
            Merchant::new("20001"),
            "ORDER1234",
            Money::pen(20_000),
            "p",
            broken,
        )
        .build()
        .unwrap_err();
        scan.error("ValidationError (payer)", &err);
    }
    // A verified callback whose (unsigned) claims carry the payer.
    let platform = PrivateKey::load(PLATFORM_PEM).unwrap();
    let ts = "2020-12-17T10:55:00-05:00";
    let signature =
        smilepayz::sign_callback(&*Backend::default().signer(&platform).unwrap(), "T1", ts)
            .unwrap();
    let callback_body = format!(
        r#"{{"orderNo":"ORDER1234","tradeNo":"T1","merchantId":"20001","status":"SUCCESS","money":{{"amount":20000,"currency":"PEN"}},"transactionTime":"{ts}","payer":{{"idType":"DNI","identity":"{PAYER_DOCUMENT}","name":"{PAYER_NAME}","phone":"{PAYER_PHONE}","email":"{PAYER_EMAIL}"}}}}"#
    );
    let callback = webhook::smilepayz_callback(
        &[("X-TIMESTAMP", ts), ("X-SIGNATURE", signature.as_str())],
        callback_body.as_bytes(),
        &*Backend::default().verifier(&platform.public_key()).unwrap(),
        now,
    )
    .unwrap();
    let claimed = callback.event.claims().payer.clone().unwrap();
    assert_eq!(
        claimed.email.as_ref().map(|e| e.expose()),
        Some(PAYER_EMAIL)
    );
    scan.debug("Verified<Callback> with a payer", &callback);
    scan.debug("CallbackPayer", &claimed);
    let bad_config = smilepayz::Config::new(
        "not a merchant id",
        secret.clone(),
        Backend::default().signer(&private).unwrap(),
        smilepayz::Environment::Sandbox,
    )
    .unwrap_err();
    scan.error("ValidationError (X-PARTNER-ID)", &bad_config);
    for body in [
        r#"{"code":"05","message":"bad"}"#,
        "<html>",
        "",
        r#"{"code":"00"}"#,
    ] {
        let err = smilepayz::parse_pay_in_response(RawResponse::new(200, body)).unwrap_err();
        scan.error("ResponseError (smilepayz)", &err);
    }
    scan.debug(
        "RawResponse",
        &RawResponse::new(200, "{}").with_header("X-TIMESTAMP", "t"),
    );
    let cb_err = smilepayz::verify_callback(
        Some("bad"),
        Some("sig"),
        b"{}",
        &*Backend::Rsa.verifier(&private.public_key()).unwrap(),
        now,
        smilepayz::DEFAULT_CALLBACK_TOLERANCE,
    )
    .unwrap_err();
    scan.error("VerifyError (callback)", &cb_err);
    scan.error(
        "KeyError",
        &PrivateKey::load(&PRIVATE_PEM[..PRIVATE_PEM.len() / 2]).unwrap_err(),
    );
    scan.error(
        "KeyError (public)",
        &PublicKey::load(PRIVATE_B64).unwrap_err(),
    );

    // Monnet flow.
    let mn_config = monnet::Config::new(
        "4001",
        key_monnet.clone(),
        monnet::Environment::Certification,
    )
    .unwrap();
    scan.debug("monnet::Config", &mn_config);
    scan.debug("MonnetSettings", &MonnetSettings::new(mn_config.clone()));
    let request = create_request();
    scan.debug("CreateRequest", &request);
    scan.debug("Customer", request.customer());
    scan.debug("Shipping", &request.shipping());
    scan.debug("BillingAddress", &request.billing_address());
    scan.display("Customer e-mail", request.customer().email());
    scan.display("Customer last name", request.customer().last_name());
    assert_eq!(
        request.customer().phone().expose(),
        "987654321",
        "readable on purpose"
    );
    for broken in [
        monnet::Customer::new("Rosa", "Quispe", "rosa@example.com@", "987654321"),
        monnet::Customer::new("Rosa", "Quispe", "rosa@example.com", "987654321x"),
        monnet::Customer::new("Rosa", "Quispe".repeat(9), "rosa@example.com", "987654321"),
        monnet::Customer::new("Rosa", "Quispe", "rosa@example.com", "987654321")
            .document(monnet::DocumentType::Dni, "44556677x"),
    ] {
        let err = monnet::CreateRequest::builder(
            monnet::Transaction::new(
                "OP1",
                Money::pen(15000),
                monnet::CardMethod::CreditOrDebit,
                "https://shop.example/ok",
                "https://shop.example/error",
                time::macros::date!(2025 - 07 - 01),
            ),
            broken,
            monnet::Product::placeholder(),
            card.clone(),
        )
        .build()
        .unwrap_err();
        scan.error("ValidationError (customer)", &err);
    }
    let prepared = monnet::prepare_create(&mn_config, &request);
    scan.debug("PreparedRequest (monnet)", &prepared);
    scan.0.push((
        "PreparedRequest::to_wire_text (monnet)".into(),
        prepared.to_wire_text(),
    ));
    assert!(
        String::from_utf8_lossy(prepared.body()).contains(PAN),
        "the body itself carries the card"
    );
    let status = monnet::prepare_status_query(
        &mn_config,
        &StatusQuery::by_operation_number("OP1"),
        time::macros::date!(2025 - 07 - 02),
    )
    .unwrap();
    scan.debug("PreparedRequest (status)", &status);
    scan.0
        .push(("to_wire_text (status)".into(), status.to_wire_text()));
    let authorization = monnet::status_authorization("4001", &key_monnet);
    assert!(
        !status.to_wire_text().contains(&authorization)
            && !format!("{status:?}").contains(&authorization),
        "the replayable authorization hash is masked"
    );
    let hash = monnet::payin_verification("4001", "OP1", "150.00", "PEN", &key_monnet);
    let notification = format!(
        r#"{{"payinStateID":"5","payinState":"Autorizado","payinStatusErrorCode":"","payinStatusErrorMessage":"","payinMerchantID":"4001","payinAmount":"150.00","payinCurrency":"PEN","payinMerchantOperationNumber":"OP1","payinMethod":"TCTD","payinVerification":"{hash}"}}"#
    );
    let verified =
        webhook::monnet_notification(notification.as_bytes(), &key_monnet, "4001").unwrap();
    scan.debug("Verified<Notification>", &verified);
    scan.error(
        "VerifyError (notification)",
        &monnet::verify_notification(
            notification.replace("OP1", "OP2").as_bytes(),
            &key_monnet,
            "4001",
        )
        .unwrap_err(),
    );
    for body in [
        r#"{"payinErrorCode":"0004","payinErrorMessage":"bad"}"#,
        "<html>",
        "",
    ] {
        scan.error(
            "ResponseError (monnet)",
            &monnet::parse_create_response(RawResponse::new(200, body)).unwrap_err(),
        );
    }
    let created = monnet::parse_create_response(RawResponse::new(
        200,
        r#"{"url":"https://pay.example/x","payinErrorCode":"0000","payinErrorMessage":"ok"}"#,
    ))
    .unwrap();
    scan.debug("CreateResponse", &created);

    // Clients over closures: the errors they return.
    let sp_client = SmilepayzClient::new(
        settings,
        |_: PreparedRequest| -> Result<RawResponse, TransportError> {
            Err(TransportError::new(
                TransportErrorKind::Timeout,
                Delivery::MaybeSent,
                "timed out",
            ))
        },
    );
    let err: ClientError<TransportError> = sp_client.pay_in(&pay_in).unwrap_err();
    scan.error("ClientError (smilepayz)", &err);
    let mn_client = MonnetClient::new(MonnetSettings::new(mn_config), |_: PreparedRequest| {
        Ok::<_, TransportError>(RawResponse::new(500, "<html>"))
    });
    scan.error(
        "ClientError (monnet)",
        &mn_client.create(&request).unwrap_err(),
    );

    scan.assert_clean();
}

/// The crypto seam's public types: signers with a given RNG, algorithms,
/// signature errors, and every key-loading refusal made from the TEST ONLY
/// merchant key (whose material is among the needles).
fn scan_crypto(scan: &mut Scan, private: &PrivateKey) {
    use pasarela_core::crypto::rand_core::OsRng;
    use pasarela_core::crypto::{
        RsaSigner, RsaVerifier, SignatureAlgorithm, SignatureError, Signer as _, Verifier as _,
    };
    scan.debug(
        "RsaSigner (given RNG)",
        &RsaSigner::with_rng(private, OsRng),
    );
    let signer = RsaSigner::new(private);
    scan.debug("SignatureAlgorithm", &signer.algorithm());
    scan.display("SignatureAlgorithm", &SignatureAlgorithm::RsaPssSha256);
    let verifier = RsaVerifier::new(&private.public_key());
    scan.debug("RsaVerifier", &verifier);
    assert_eq!(format!("{verifier:?}"), "RsaVerifier(2048 bits)");
    #[cfg(feature = "aws-lc")]
    scan.debug(
        "AwsLcVerifier",
        &pasarela_core::crypto::AwsLcVerifier::new(&private.public_key()).unwrap(),
    );
    let sig = signer.sign(SECRET.as_bytes()).unwrap();
    for (what, err) in [
        ("mismatch", verifier.verify(b"other", &sig).unwrap_err()),
        (
            "length",
            verifier.verify(SECRET.as_bytes(), &sig[1..]).unwrap_err(),
        ),
    ] {
        scan.error(&format!("SignatureError ({what})"), &err);
        scan.error(
            &format!("VerifyError from SignatureError ({what})"),
            &pasarela_core::VerifyError::from(err),
        );
    }
    let failed = pasarela_core::VerifyError::from(SignatureError::WrongAlgorithm {
        required: SignatureAlgorithm::RsaPkcs1v15Sha256,
        found: SignatureAlgorithm::RsaPssSha256,
    });
    scan.error("VerifyError::VerifierFailed", &failed);

    // The merchant key's own body under every label and container the
    // loaders refuse: the messages name what was found, never its bytes.
    let body = PRIVATE_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .join("\n");
    for label in [
        "ENCRYPTED PRIVATE KEY",
        "EC PRIVATE KEY",
        "DSA PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "CERTIFICATE",
        "RSA PUBLIC KEY",
        "SOMETHING ELSE",
    ] {
        let pem = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
        scan.error(
            &format!("KeyError (private, {label})"),
            &PrivateKey::load(&pem).unwrap_err(),
        );
        if let Err(e) = PublicKey::load(&pem) {
            scan.error(&format!("KeyError (public, {label})"), &e);
        }
    }
    let encrypted = format!(
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n{body}\n-----END RSA PRIVATE KEY-----\n"
    );
    scan.error(
        "KeyError (legacy encrypted)",
        &PrivateKey::load(&encrypted).unwrap_err(),
    );
    scan.error(
        "KeyError (public from private PEM)",
        &PublicKey::load(PRIVATE_PEM).unwrap_err(),
    );
    let mut truncated = PRIVATE_B64.trim().to_owned();
    truncated.truncate(truncated.len() - 40);
    scan.error(
        "KeyError (truncated base64)",
        &PrivateKey::load(&truncated).unwrap_err(),
    );
}
