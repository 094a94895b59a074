//! Slow and idle clients cannot starve the gateway: hundreds of connections that never finish
//! their headers leave `/healthz` answering, and are disconnected once the header-read timeout
//! is up; past the connection cap, a connection is closed at once.

use std::time::Duration;

use plinth_tests::World;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A connection that sends half a request and then nothing.
async fn half_open(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: plinth\r\n")
        .await
        .unwrap();
    stream
}

/// Whether the server has closed `stream` (a read answers end of file, or a reset).
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0_u8; 512];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // A 408 from the server before it closes: keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

async fn healthz(world: &World) -> reqwest::StatusCode {
    world
        .http
        .get(format!("{}/healthz", world.gateway_url))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn half_open_connections_neither_starve_the_gateway_nor_stay() {
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.gateway.header_read_timeout_ms = 1_000;
    })
    .await;
    let address = world.gateway_url.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(half_open(&address).await);
    }
    assert_eq!(healthz(&world).await, 200, "the gateway still answers");
    // Once the timeout is up, every half-open connection is let go.
    for stream in &mut idle {
        assert!(
            closed_by_server(stream, Duration::from_secs(10)).await,
            "a half-open connection was kept past the header-read timeout"
        );
    }
}

#[tokio::test]
async fn past_the_cap_a_connection_is_closed_at_once() {
    let world = World::start_configured(&plinth_tests::env("PLINTH_KAFKA_BROKERS"), |s| {
        s.gateway.max_connections = 20;
        s.gateway.header_read_timeout_ms = 2_000;
    })
    .await;
    let address = world.gateway_url.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(half_open(&address).await);
    }
    // Give the accept loop a moment to take the twenty.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = half_open(&address).await;
    assert!(
        closed_by_server(&mut extra, Duration::from_millis(500)).await,
        "the 21st connection was held"
    );
    // The held ones time out and free their places: the gateway answers again.
    for stream in &mut held {
        assert!(closed_by_server(stream, Duration::from_secs(10)).await);
    }
    assert_eq!(healthz(&world).await, 200);
}
