// A load test of a REST API with login, as a swarm script; also what `swarm new NAME --js`
// writes. Run it against your API (here the shop API of swarm's own tests):
//
//   swarm run my-load-test.js -H http://127.0.0.1:8080 -u 10 -t 30s --headless
//
// Every flag of `swarm run` works, as do SWARM_* variables, swarm.toml, the web UI (leave
// out --headless), reports (--json run.json --html run.html --csv run) and thresholds.
// The API is in docs/SCRIPTS.md: no npm, no Node APIs; import only from "swarm".
import { between, env } from "swarm";

// Defaults for the run's flags; the command line, SWARM_* and swarm.toml still win.
export const options = { users: 10, spawnRate: 5, thresholds: ["fail_ratio < 1%"] };

export class Shopper {
  // Between two tasks a user thinks for 0.5 to 2 seconds.
  static wait = between(0.5, 2);
  // Three browses for every purchase (method name: weight).
  static tasks = { browse: 3, buy: 1 };

  // Log in once; the token from the response goes on every later request.
  async onStart(ctx) {
    const login = await ctx.session().post("/login", {
      json: { username: `user${ctx.userIndex}`, password: env("SHOP_PASSWORD", "secret") },
    });
    this.http = ctx.session().withBearerAuth(login.json().token);
  }

  async browse() {
    await this.http.get("/items");
  }

  async buy() {
    await this.http.post("/cart", {
      json: { id: 1 },
      // A check runs before the request is counted: a string (or false) makes it a failure.
      check: (r) => r.status === 201 || `expected 201 Created, got ${r.status}`,
    });
  }

  // Log out, so the server is left as it was found.
  async onStop() {
    await this.http.delete("/session");
  }
}
