//! `shop-api [PORT]`: the practice REST API of docs/WRITING_TESTS.md (login, items, cart,
//! logout) on 127.0.0.1, until Ctrl-C. `cargo run -p swarm-tests --bin shop-api -- 8080`.

use swarm_tests::shop_api::ShopApi;

fn main() -> std::process::ExitCode {
    let port = match std::env::args().nth(1).map(|p| p.parse::<u16>()) {
        None => 8080,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("error: the port must be a number from 0 to 65535, e.g. `shop-api 8080`");
            return std::process::ExitCode::from(2);
        }
    };
    let shop = match ShopApi::start_on(port) {
        Ok(shop) => shop,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e} (choose another port)");
            return std::process::ExitCode::from(2);
        }
    };
    println!("{}", shop.url());
    println!("Practice shop API on {} (Ctrl-C stops it)", shop.url());
    loop {
        std::thread::park();
    }
}
