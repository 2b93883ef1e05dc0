//! Errors print well: no message in a source chain repeats its source's,
//! and `Debug` stays short whatever a partial read holds.

use std::io;

use bytes::Bytes;
use weir_proto::eyeballs::ConnectError;
use weir_proto::{Error, IncompleteReadError, LimitOverrunError};

/// Every message in `e`'s chain, top first.
fn chain(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push(s.to_string());
        cur = s.source();
    }
    out
}

fn assert_no_repeats(e: &(dyn std::error::Error + 'static)) {
    let msgs = chain(e);
    for pair in msgs.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "{:?} repeats its source {:?} (chain {msgs:?})",
            pair[0],
            pair[1]
        );
    }
}

fn refused(port: u16) -> (std::net::SocketAddr, io::Error) {
    (
        ([127, 0, 0, 1], port).into(),
        io::Error::from_raw_os_error(111),
    )
}

/// One error of each kind, and the I/O errors they become.
fn every_kind() -> Vec<Error> {
    vec![
        Error::IncompleteRead(IncompleteReadError {
            partial: Bytes::from_static(b"abc"),
            expected: Some(5),
        }),
        Error::IncompleteRead(IncompleteReadError {
            partial: Bytes::new(),
            expected: None,
        }),
        Error::LimitOverrun(LimitOverrunError {
            consumed: 8,
            separator_found: true,
        }),
        Error::LineTooLong {
            limit: 4,
            separator_found: false,
        },
        Error::InvalidLimit,
        Error::EmptySeparator,
        Error::InvalidWatermarks { high: 1, low: 2 },
        Error::ConcurrentRead,
        Error::FeedAfterEof,
        Error::InvalidArgument("what"),
        Error::WriterClosed,
        Error::WriteAfterEof,
        Error::connection(io::ErrorKind::ConnectionReset.into()),
        Error::connection(io::Error::from_raw_os_error(104)),
        Error::connection(io::Error::other("tls: bad certificate")),
        Error::connection(ConnectError::new(vec![refused(9)]).into()),
        Error::connection(ConnectError::new(vec![refused(9), refused(10)]).into()),
        Error::connection(
            ConnectError::new(vec![
                refused(9),
                (([127, 0, 0, 2], 9).into(), io::ErrorKind::TimedOut.into()),
            ])
            .into(),
        ),
        Error::connection(ConnectError::new(vec![]).into()),
    ]
}

#[test]
fn no_message_repeats_its_source() {
    for e in every_kind() {
        assert_no_repeats(&e);
        let io_err = io::Error::from(e.clone());
        assert_no_repeats(&io_err);
        // Boxed as `?` into Box<dyn Error> does.
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
        assert_no_repeats(&*boxed);
    }
}

#[test]
fn a_refused_connect_says_it_once() {
    let e = Error::connection(ConnectError::new(vec![refused(9)]).into());
    let msgs = chain(&e);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].starts_with("connect to 127.0.0.1:9 failed: "),
        "{msgs:?}"
    );
    assert_eq!(msgs[0].matches("127.0.0.1:9").count(), 1, "{msgs:?}");
    // The list keeps its type.
    let Error::Connection(io) = &e else { panic!() };
    let ce = io.get_ref().and_then(|e| e.downcast_ref::<ConnectError>());
    assert_eq!(ce.unwrap().errors().len(), 1);
}

#[test]
fn debug_of_a_big_partial_is_short() {
    let partial = Bytes::from(vec![b'x'; 100_000]);
    let ire = IncompleteReadError {
        partial,
        expected: Some(200_000),
    };
    let e = Error::IncompleteRead(ire.clone());
    for dbg in [
        format!("{ire:?}"),
        format!("{e:?}"),
        format!("{e:#?}"),
        format!("{:?}", io::Error::from(e.clone())),
        format!("{:?}", Err::<(), _>(e.clone())),
    ] {
        assert!(dbg.len() < 1024, "{} bytes: {dbg}", dbg.len());
        assert!(dbg.contains("100000"), "{dbg}");
    }
    // A short partial shows in full.
    let small = IncompleteReadError {
        partial: Bytes::from_static(b"abc"),
        expected: None,
    };
    assert!(format!("{small:?}").contains("b\"abc\""), "{small:?}");
}

#[test]
fn every_debug_is_short() {
    for e in every_kind() {
        let dbg = format!("{e:?}");
        assert!(dbg.len() < 1024, "{dbg}");
    }
}
