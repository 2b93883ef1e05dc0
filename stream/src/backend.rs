//! The public face every backend crate shares, written once: a backend
//! names its [`Net`](crate::rt::Net) runtime and calls `backend_api!`.

/// Defines a backend crate's asyncio API for the runtime `$rt`:
/// `ConnectOptions`, `ServerOptions`, `open_connection`,
/// `open_unix_connection`, `start_server`, `start_unix_server`, and
/// re-exports of the stream types. `$krate` is the crate's name as written
/// in paths (`"weir_tokio"`), for the generated docs.
///
/// Every backend gets the same names, semantics and errors because this
/// one macro writes them: the logic is in [`stream::ConnectOptions`] and
/// [`stream::ServerOptions`].
///
/// [`stream::ConnectOptions`]: crate::ConnectOptions
/// [`stream::ServerOptions`]: crate::ServerOptions
///
/// # Examples
///
/// A backend on async-io that runs each task on a thread of its own
/// (weir-smol is the same with `smol::spawn`):
///
#[cfg_attr(all(feature = "async-io", unix), doc = "```")]
#[cfg_attr(not(all(feature = "async-io", unix)), doc = "```text")]
/// mod threads_backend {
///     #[derive(Clone, Debug, Default)]
///     pub struct Threads;
///     impl weir_stream::async_io::Spawn for Threads {
///         fn spawn(&self, fut: weir_stream::rt::BoxFuture) {
///             std::thread::spawn(move || async_io::block_on(fut));
///         }
///     }
///     weir_stream::backend_api!(weir_stream::async_io::AsyncIo<Threads>, "threads_backend");
/// }
/// let server = async_io::block_on(threads_backend::start_server(
///     |_reader, writer| async move { writer.close() },
///     "127.0.0.1",
///     0,
/// ))?;
/// assert_ne!(server.local_addrs()[0].port(), 0);
/// # Ok::<(), weir_stream::Error>(())
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! backend_api {
    ($rt:ty, $krate:literal) => {
        pub use $crate::Bytes;
        pub use $crate::{Drain, IntoLines, Lines, ReadFuture, WaitClosed};
        pub use $crate::{Error, IncompleteReadError, LimitOverrunError, Origin};
        pub use $crate::{ExtraInfo, Family, IntoSeparators, Separators, Server, StreamReader, StreamWriter};
        pub use $crate::{DEFAULT_HIGH, DEFAULT_LIMIT};
        #[cfg(feature = "tls")]
        pub use $crate::tls::{ClientTls, ServerTls, TlsInfo, TlsTimeouts};

        #[doc = concat!(
            "Options for [`open_connection`]: asyncio's keyword arguments (limit, local_addr, ",
            "family, happy_eyeballs_delay, interleave, sock), the same on every weir backend.\n\n",
            "# Examples\n\n```no_run\n",
            "# async fn demo() -> Result<(), ", $krate, "::Error> {\n",
            "use std::time::Duration;\n",
            "use ", $krate, "::{ConnectOptions, Family};\n",
            "let (reader, writer) = ConnectOptions::new()\n",
            "    .limit(1 << 20)\n",
            "    .family(Family::V4)\n",
            "    .happy_eyeballs_delay(Duration::from_millis(250))\n",
            "    .connect(\"localhost\", 8888)\n",
            "    .await?;\n",
            "# Ok(()) }\n```"
        )]
        pub type ConnectOptions = $crate::ConnectOptions<$rt>;

        #[doc = concat!(
            "Options for [`start_server`]: asyncio's keyword arguments (limit, backlog, ",
            "reuse_address, reuse_port, family, start_serving, sock), the same on every weir backend.\n\n",
            "# Examples\n\n```no_run\n",
            "# async fn demo() -> Result<(), ", $krate, "::Error> {\n",
            "let server = ", $krate, "::ServerOptions::new()\n",
            "    .limit(1 << 20)\n",
            "    .backlog(1024)\n",
            "    .start_serving(false)\n",
            "    .start(|_r, _w| async {}, \"127.0.0.1\", 0)\n",
            "    .await?;\n",
            "server.start_serving();\n",
            "# Ok(()) }\n```"
        )]
        pub type ServerOptions = $crate::ServerOptions<$rt>;

        #[doc = concat!(
            "Options for [`from_io`], [`reader_from`] and [`writer_from`]: the reader's limit ",
            "and the writer's watermarks, as [`ConnectOptions`] gives them for a socket.\n\n",
            "# Examples\n\n```no_run\n",
            "let opts = ", $krate, "::IoOptions::new()\n",
            "    .limit(1 << 20)\n",
            "    .write_buffer_limits(Some(256 * 1024), None);\n",
            "```"
        )]
        pub type IoOptions = $crate::IoOptions<$rt>;

        #[doc = concat!(
            "A reader and a writer over any duplex I/O object of the runtime ",
            "(an in-memory duplex, a serial port, a socket type weir does not wrap itself), ",
            "with a socket's semantics: the limit, cancel-safe reads, watermarks, background ",
            "flushing, `write_eof` as the object's shutdown, `close` and `wait_closed`. ",
            "[`IoOptions::from_io`] sets the limit and watermarks.\n\n",
            "# Errors\n\n",
            "[`Error::InvalidArgument`] outside the runtime.\n\n",
            "# Examples\n\nSee the crate's `from_io` tests and the `subprocess` example."
        )]
        pub fn from_io<T>(io: T) -> Result<(StreamReader, StreamWriter), Error>
        where
            $rt: $crate::rt::AdoptIo<T>,
        {
            IoOptions::new().from_io(io)
        }

        #[doc = concat!(
            "A reader over any readable I/O object of the runtime (a child's stdout, a pipe): ",
            "asyncio's `StreamReader` over it ([`IoOptions::reader_from`] sets the limit).\n\n",
            "# Errors\n\n",
            "[`Error::InvalidArgument`] outside the runtime.\n\n",
            "# Examples\n\nSee the crate's `from_io` tests and the `subprocess` example."
        )]
        pub fn reader_from<T>(r: T) -> Result<StreamReader, Error>
        where
            $rt: $crate::rt::AdoptRead<T>,
        {
            IoOptions::new().reader_from(r)
        }

        #[doc = concat!(
            "A writer over any writable I/O object of the runtime (a child's stdin, a pipe): ",
            "writes are queued and flushed in the background, `drain` applies the watermarks, ",
            "`write_eof` and `close` close the object so its reader sees EOF ",
            "([`IoOptions::writer_from`] sets the watermarks).\n\n",
            "# Errors\n\n",
            "[`Error::InvalidArgument`] outside the runtime.\n\n",
            "# Examples\n\nSee the crate's `from_io` tests and the `subprocess` example."
        )]
        pub fn writer_from<T>(w: T) -> Result<StreamWriter, Error>
        where
            $rt: $crate::rt::AdoptWrite<T>,
        {
            IoOptions::new().writer_from(w)
        }

        #[doc = concat!(
            "Connects to `host:port` over TCP: asyncio's `open_connection(host, port)`.\n\n",
            "Every address the host resolves to is tried (see ",
            "[`ConnectOptions::happy_eyeballs_delay`] to race them).\n\n",
            "# Errors\n\n",
            "A connection error naming what failed: resolving the host, or each address and ",
            "why it refused.\n\n",
            "# Examples\n\n```no_run\n",
            "# async fn demo() -> Result<(), ", $krate, "::Error> {\n",
            "let (reader, writer) = ", $krate, "::open_connection(\"127.0.0.1\", 8888).await?;\n",
            "writer.write(b\"Hello World!\")?;\n",
            "let data = reader.read(100).await?;\n",
            "writer.close();\n",
            "writer.wait_closed().await?;\n",
            "# Ok(()) }\n```"
        )]
        pub async fn open_connection(
            host: &str,
            port: u16,
        ) -> Result<(StreamReader, StreamWriter), Error> {
            ConnectOptions::new().connect(host, port).await
        }

        #[doc = concat!(
            "Connects to the Unix socket at `path`: asyncio's `open_unix_connection`.\n\n",
            "# Errors\n\n",
            "A connection error naming the path (missing, not a socket, refused).\n\n",
            "# Examples\n\n```no_run\n",
            "# async fn demo() -> Result<(), ", $krate, "::Error> {\n",
            "let (reader, writer) = ", $krate, "::open_unix_connection(\"/tmp/echo.sock\").await?;\n",
            "# Ok(()) }\n```"
        )]
        pub async fn open_unix_connection(
            path: impl AsRef<std::path::Path>,
        ) -> Result<(StreamReader, StreamWriter), Error> {
            ConnectOptions::new().connect_unix(path).await
        }

        #[doc = concat!(
            "Listens on `host:port` and runs `handler(reader, writer)` as a task for each ",
            "client: asyncio's `start_server` (see [`ServerOptions::start`]).\n\n",
            "# Errors\n\n",
            "A connection error naming what failed: resolving the host, or binding an address ",
            "(for example, a port in use).\n\n",
            "# Examples\n\n```no_run\n",
            "# async fn demo() -> Result<(), ", $krate, "::Error> {\n",
            "let server = ", $krate, "::start_server(|reader, writer| async move {\n",
            "    while let Ok(line) = reader.read_line().await {\n",
            "        if line.is_empty() || writer.write(&line).is_err() { break; }\n",
            "    }\n",
            "}, \"127.0.0.1\", 8888).await?;\n",
            "println!(\"Serving on {}\", server.local_addrs()[0]);\n",
            "server.serve_forever().await?;\n",
            "# Ok(()) }\n```"
        )]
        pub async fn start_server<H, F>(handler: H, host: &str, port: u16) -> Result<Server, Error>
        where
            H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
            F: std::future::Future<Output = ()> + Send + 'static,
        {
            ServerOptions::new().start(handler, host, port).await
        }

        #[doc = concat!(
            "Listens on the Unix socket `path`: asyncio's `start_unix_server`.\n\n",
            "# Errors\n\n",
            "A connection error naming the path (for example, another file in the way).\n\n",
            "# Examples\n\n```no_run\n",
            "# async fn demo() -> Result<(), ", $krate, "::Error> {\n",
            "let server = ", $krate, "::start_unix_server(|_r, w| async move {\n",
            "    let _ = w.write(b\"hi\\n\");\n",
            "}, \"/tmp/hi.sock\").await?;\n",
            "# Ok(()) }\n```"
        )]
        pub async fn start_unix_server<H, F>(
            handler: H,
            path: impl AsRef<std::path::Path>,
        ) -> Result<Server, Error>
        where
            H: Fn(StreamReader, StreamWriter) -> F + Send + Sync + 'static,
            F: std::future::Future<Output = ()> + Send + 'static,
        {
            ServerOptions::new().start_unix(handler, path).await
        }
    };
}
