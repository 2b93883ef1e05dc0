//! Errors print well on every backend: a refused connect says its cause
//! once (no message in the source chain repeats its source's), and a
//! `read_exactly` cut by EOF after 100 kB has a short `Debug`.

use super::{e2e, soon};
use crate::backend::{self, Error, IoOptions};

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
        assert!(!pair[0].contains(&pair[1]), "{msgs:?}");
    }
}

e2e! {
    async fn refused_connect_says_its_cause_once() {
        // A port nothing listens on: bind, note the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = soon(backend::open_connection("127.0.0.1", port)).await.unwrap_err();
        assert!(matches!(e, Error::Connection(_)), "{e:?}");
        assert_no_repeats(&e);
        let text = e.to_string();
        assert_eq!(text.matches(&format!("127.0.0.1:{port}")).count(), 1, "{text}");
        let io = std::io::Error::from(e);
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        assert_no_repeats(&io);
    }
}

e2e! {
    async fn unresolvable_host_says_its_cause_once() {
        let e = soon(backend::open_connection("no-such-host.invalid", 80)).await.unwrap_err();
        assert_no_repeats(&e);
    }
}

e2e! {
    async fn incomplete_read_debug_is_short() {
        let ((_ar, aw), (br, _bw)) = backend::io_pair(&IoOptions::new()).unwrap();
        aw.write(vec![b'x'; 100_000]).unwrap();
        aw.close();
        let e = soon(br.read_exactly(200_000)).await.unwrap_err();
        let Error::IncompleteRead(ire) = &e else { panic!("{e:?}") };
        assert_eq!(ire.partial.len(), 100_000);
        let dbg = format!("{e:?}");
        assert!(dbg.len() < 1024, "{} bytes", dbg.len());
        assert_no_repeats(&e);
    }
}
