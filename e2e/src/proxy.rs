//! A loopback TCP proxy that misbehaves on request: it can cut every connection, stall traffic, reset
//! connections (RST), refuse new ones, and send new ones to another upstream. Clients talk to the proxy's
//! fixed address; the server behind it may come and go.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Forward everything.
    Pass,
    /// Hold every byte in both directions (a dead Wi-Fi that does not close anything).
    Stall,
    /// Close every connection and refuse new ones (the network is gone).
    Down,
}

struct State {
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    /// Bumped to cut every open connection; `reset` chooses an RST over a clean close.
    generation: watch::Sender<(u64, bool)>,
}

#[derive(Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    mode: watch::Receiver<Mode>,
    cuts: watch::Receiver<(u64, bool)>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let addr = listener.local_addr().unwrap();
        let (mode_tx, mode) = watch::channel(Mode::Pass);
        let (cut_tx, cuts) = watch::channel((0, false));
        let proxy = Self {
            addr,
            state: Arc::new(Mutex::new(State { upstream, mode: mode_tx, generation: cut_tx })),
            mode,
            cuts,
        };
        let accepting = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let proxy = accepting.clone();
                tokio::spawn(async move { proxy.serve(client).await });
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_upstream(&self, upstream: SocketAddr) {
        self.state.lock().unwrap().upstream = upstream;
    }

    pub fn set_mode(&self, mode: Mode) {
        let _ = self.state.lock().unwrap().mode.send(mode);
        if mode == Mode::Down {
            self.cut(false);
        }
    }

    /// Ends every open connection, cleanly or with a reset.
    pub fn cut(&self, reset: bool) {
        self.state.lock().unwrap().generation.send_modify(|(generation, how)| {
            *generation += 1;
            *how = reset;
        });
    }

    async fn serve(&self, mut client: TcpStream) {
        if *self.mode.borrow() == Mode::Down {
            return;
        }
        let upstream = self.state.lock().unwrap().upstream;
        let Ok(mut server) = TcpStream::connect(upstream).await else { return };
        let generation = self.cuts.borrow().0;
        let mut cuts = self.cuts.clone();
        let reset = {
            let (client_read, client_write) = client.split();
            let (server_read, server_write) = server.split();
            let up = pump(client_read, server_write, self.mode.clone());
            let down = pump(server_read, client_write, self.mode.clone());
            let cut = async move {
                loop {
                    if cuts.changed().await.is_err() {
                        return false;
                    }
                    let (now, reset) = *cuts.borrow();
                    if now != generation {
                        return reset;
                    }
                }
            };
            tokio::select! {
                _ = up => false,
                _ = down => false,
                reset = cut => reset,
            }
        };
        if reset {
            // A zero linger turns the close into an RST, as a crashed router or NAT timeout would.
            let _ = client.set_zero_linger();
            let _ = server.set_zero_linger();
        }
    }
}

async fn pump(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        loop {
            let current = *mode.borrow();
            match current {
                Mode::Pass => break,
                Mode::Down => return,
                Mode::Stall => {
                    let _ = tokio::time::timeout(Duration::from_millis(100), mode.changed()).await;
                }
            }
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
