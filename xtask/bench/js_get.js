// The bench's script user: the same GET task as the Rust `get` scenario (no wait, body
// drained, not kept), for `cargo xtask bench http js`.
export class Get {
  static tasks = { get: 1 };
  onStart(ctx) { this.http = ctx.session(); }
  async get() { await this.http.get("/tiny.txt", { keep: false }); }
}
