// The live picture: every collection listed once, then kept current from the watch stream. The stream
// resumes by itself (EventSource sends Last-Event-ID); when it cannot (the Knowledge Base was away too long,
// or restarted), everything is listed again and the watch starts from there. Listeners are told after
// every change, at most once per animation frame.
import { COLLECTIONS, getJson, HttpError, listAll, recentEvents } from "./api.js";

const EVENTS_KEPT = 500;

export class Live {
  constructor() {
    this.kinds = Object.fromEntries(Object.keys(COLLECTIONS).map((k) => [k, new Map()]));
    this.events = [];
    /** connecting | live | away */
    this.connection = { state: "connecting", attempts: 0, sinceMs: Date.now(), error: "" };
    this.version = 0;
    this.listeners = new Set();
    this.deviceListeners = new Set();
    this.source = undefined;
    this.timer = undefined;
    this.scheduled = false;
    this.loaded = false;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Called with each Device resource as it changes (the device page appends live points). */
  onDevice(fn) {
    this.deviceListeners.add(fn);
    return () => this.deviceListeners.delete(fn);
  }

  notify() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    });
  }

  list(kind) {
    return [...this.kinds[kind].values()];
  }

  get(kind, name) {
    return this.kinds[kind].get(name);
  }

  setConnection(state, error = "") {
    const c = this.connection;
    if (c.state !== state) this.connection = { ...c, state, sinceMs: Date.now(), error };
    else if (error !== c.error) this.connection = { ...c, error };
    this.notify();
  }

  async start() {
    clearTimeout(this.timer);
    try {
      const lists = await Promise.all(Object.values(COLLECTIONS).map((c) => listAll(c)));
      const events = await recentEvents(EVENTS_KEPT);
      Object.keys(COLLECTIONS).forEach((kind, i) => {
        const m = new Map();
        for (const item of lists[i].items) m.set(key(item), item);
        this.kinds[kind] = m;
      });
      this.events = events;
      // watch from the oldest list: changes already seen are recognised by their version and skipped
      this.version = Math.min(...lists.map((l) => l.version));
      this.loaded = true;
      // fresh data: live until the stream says otherwise (its first bytes may wait for the first change)
      this.connection = { ...this.connection, attempts: 0 };
      this.setConnection("live");
      this.watch();
      this.notify();
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) return this.loggedOut();
      this.retry(err);
    }
  }

  retry(err) {
    this.connection = { ...this.connection, attempts: this.connection.attempts + 1 };
    this.setConnection("away", err?.message ?? String(err));
    const delayMs = Math.min(10_000, 500 * 2 ** Math.min(this.connection.attempts, 5));
    this.timer = setTimeout(() => this.start(), delayMs);
  }

  loggedOut() {
    this.close();
    location.assign("/login");
  }

  watch() {
    this.source?.close();
    const es = new EventSource(`/api/v1/watch?resourceVersion=${this.version}`);
    this.source = es;
    es.onopen = () => {
      this.connection = { ...this.connection, attempts: 0 };
      this.setConnection("live");
    };
    const onChange = (type) => (ev) => {
      this.version = Math.max(this.version, Number(ev.lastEventId) || 0);
      this.apply(type, JSON.parse(ev.data));
    };
    for (const type of ["ADDED", "MODIFIED", "DELETED"]) es.addEventListener(type, onChange(type));
    es.addEventListener("BOOKMARK", (ev) => {
      this.version = Math.max(this.version, Number(ev.lastEventId) || 0);
    });
    es.addEventListener("ERROR", () => {
      // the server ended the stream on purpose (e.g. the version was compacted): list again
      es.close();
      this.retry(new Error("the watch stream ended; listing again"));
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        // a refused reconnect (401, 410, the server restarted elsewhere): ask who we are, then list again
        getJson("/api/v1/whoami").then(
          () => this.retry(new Error("the watch stream was refused; listing again")),
          (err) => (err instanceof HttpError && err.status === 401 ? this.loggedOut() : this.retry(err)),
        );
      } else {
        // EventSource retries by itself and resumes from the last event id
        this.connection = { ...this.connection, attempts: this.connection.attempts + 1 };
        this.setConnection("away", "the Knowledge Base is not answering");
      }
    };
  }

  apply(type, obj) {
    if (obj.kind === "Event") {
      if (type !== "ADDED") return;
      const spec = obj.spec ?? {};
      if (this.events.some((e) => e.name === obj.metadata.name)) return;
      this.events.unshift({
        ...spec,
        name: obj.metadata.name,
        resourceVersion: obj.metadata.resourceVersion,
      });
      if (this.events.length > EVENTS_KEPT) this.events.length = EVENTS_KEPT;
      this.notify();
      return;
    }
    const m = this.kinds[obj.kind];
    if (!m) return;
    const k = key(obj);
    const held = m.get(k);
    if (held && held.metadata.resourceVersion >= obj.metadata.resourceVersion) return;
    if (type === "DELETED") m.delete(k);
    else m.set(k, obj);
    if (obj.kind === "Device" && type !== "DELETED") for (const fn of this.deviceListeners) fn(obj);
    this.notify();
  }

  close() {
    clearTimeout(this.timer);
    this.source?.close();
  }
}

const key = (o) =>
  o.metadata.namespace && o.metadata.namespace !== "default"
    ? `${o.metadata.namespace}/${o.metadata.name}`
    : o.metadata.name;
