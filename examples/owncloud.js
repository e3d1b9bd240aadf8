// The seed's locustfile (Locust + ownCloud, episode 3) as a swarm script: every user creates
// its own account, downloads the manual and uploads its own file 3:1, and deletes the
// account on stop through a fresh admin session (no cookies in the way, so no 401).
//
//   SWARM_ADMIN_PASSWORD=admin swarm run examples/owncloud.js -H http://127.0.0.1:8080 -u 10 -t 30s --headless
import { constant, dav, env, ocs } from "swarm";

// A fresh admin session: its own, empty cookie jar.
const admin = (ctx) =>
  ctx.newSession().withBasicAuth(env("SWARM_ADMIN_USER", "admin"), env("SWARM_ADMIN_PASSWORD", ""));

export class OwnCloudUser {
  static wait = constant(Number(env("WAIT_SECONDS", "1")));
  static tasks = { downloadFile: 3, uploadFile: 1 };

  async onStart(ctx) {
    this.name = `locust-${ctx.runId}-${ctx.userIndex}`;
    await ocs(admin(ctx)).createUser(this.name, this.name);
    this.dav = dav(ctx.session().withBasicAuth(this.name, this.name), this.name);
    await this.dav.propfind("", 0); // the first login copies the skeleton
    this.file = `locust-perfomance-test-file${ctx.userIndex}-${Math.random().toString(36).slice(2)}.txt`;
  }

  async downloadFile() {
    await this.dav.get("ownCloud Manual.pdf");
  }

  async uploadFile() {
    await this.dav.named("[file]").put(this.file, "my data");
  }

  async onStop(ctx) {
    await ocs(admin(ctx)).removeUser(this.name);
  }
}
