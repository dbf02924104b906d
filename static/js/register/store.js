// The register's storage on the phone (IndexedDB): the outbox of sales not yet on the server, and small
// keyed values (last known stock, the cart, recently sold products). A sale is written here before it is
// sent and removed only after the server answered 200/201, so a reload, a crash or a browser restart
// loses nothing.

const DB_NAME = 'chophien-register';
const DB_VERSION = 1;
let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      if (!('indexedDB' in self)) { reject(new Error('IndexedDB is not available')); return; }
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('outbox')) {
          db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('register', 'registerId');
        }
        if (!db.objectStoreNames.contains('meta')) { db.createObjectStore('meta'); }
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
    });
    opening.catch(() => { opening = null; });
  }
  return opening;
}

// Run `work(store)` in one transaction; resolves with its result once the transaction has committed.
async function run(name, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    // 'strict': the write is on disk before we call it saved (the default may keep it in memory a while).
    const tx = db.transaction(name, mode, { durability: mode === 'readwrite' ? 'strict' : 'default' });
    let result;
    const req = work(tx.objectStore(name));
    if (req) { req.onsuccess = () => { result = req.result; }; }
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

export const outbox = {
  put: (entry) => run('outbox', 'readwrite', (s) => s.put(entry)),
  remove: (id) => run('outbox', 'readwrite', (s) => s.delete(id)),
  get: (id) => run('outbox', 'readonly', (s) => s.get(id)),
  // This register's entries, oldest first.
  async list(registerId) {
    const all = await run('outbox', 'readonly', (s) => s.index('register').getAll(registerId));
    return (all || []).sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : 1));
  },
};

export const meta = {
  get: (key) => run('meta', 'readonly', (s) => s.get(key)),
  set: (key, value) => run('meta', 'readwrite', (s) => s.put(value, key)),
};
