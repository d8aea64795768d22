/* epoch.pml — EpochStack (src/stack/epoch.rs): the node-per-push Treiber
 * stack of pointer_node.pml, any number of poppers, nodes reclaimed by an
 * abstract epoch scheme standing for crossbeam-epoch:
 *   pin:    the thread records the global epoch and is "pinned";
 *   retire: an unlinked node is tagged with the global epoch;
 *   free:   a node retired at epoch e is freed once the global epoch >= e+GRACE;
 *   advance: the global epoch goes e -> e+1 only when every pinned thread
 *           has recorded e. Any pinned thread may try it (crossbeam's
 *           collect() runs inside pin()); SPIN chooses when.
 *   -DGRACE=2 (default) must pass;  -DGRACE=1 must fail (use-after-free).
 * SPIN's interleavings are sequentially consistent, which is what
 * crossbeam's SeqCst fence in pin() provides for this handshake; the
 * weak-memory side of crossbeam itself is loom's job.
 * Memory as in pointer_node.pml: lowest free address first (reuse), and a
 * per-address generation so a read through a stale pointer is caught.
 */
#include "common.pml"

#ifndef GRACE
#define GRACE 2
#endif
#define NADDR (NB + NT * OPS)  /* live <= NB; retired-not-freed <= NT * OPS */
#define NIL   255
#define FREE    0
#define LIVE    1
#define RETIRED 2

byte head = NIL;            /* EpochStack::head: AtomicPtr<Node<T>> */
byte nval[NADDR];           /* Node::value */
byte nnext[NADDR];          /* Node::next: AtomicPtr */
byte nstate[NADDR];         /* allocator: FREE / LIVE / RETIRED */
byte retired_at[NADDR];     /* epoch at retire */
byte gen[NADDR];            /* ghost: frees of this address so far */
byte gepoch;                /* the collector's global epoch */
bool pinned[NT];
byte lepoch[NT];

#define READ_OK(a, g) (nstate[a] != FREE && gen[a] == g)

/* crossbeam collect(): try to advance, then free what is two epochs old. */
inline collect() {
  /*@ crossbeam collect() inside pin(): try_advance the global epoch, free nodes retired GRACE epochs ago */
  d_step {
    k = 0;
    do
    :: k < NT && (!pinned[k] || lepoch[k] == gepoch) -> k++
    :: k < NT && pinned[k] && lepoch[k] != gepoch -> break
    :: k == NT -> gepoch++; break
    od;
    k = 0;
    do
    :: k < NADDR ->
       if
       :: nstate[k] == RETIRED && gepoch >= retired_at[k] + GRACE ->
            nstate[k] = FREE; gen[k]++
       :: else -> skip
       fi;
       k++
    :: else -> break
    od;
    k = 0
  }
}

/* FreeList::push(value=b) — identical to pointer_node.rs push. */
inline push(b) {
  /*@ epoch.rs push: node::alloc(Node { value, next: null }) */
  atomic {
    a = 0;
    do
    :: a < NADDR && nstate[a] != FREE -> a++
    :: else -> break
    od;
    assert(a < NADDR);
    nstate[a] = LIVE; nval[a] = b; nnext[a] = NIL
  };
  /*@ epoch.rs push: self.head.load(Relaxed) */
  old = head;
  do
  :: /*@ epoch.rs push: n.next.store(old, Relaxed) */
     nnext[a] = old;
     /*@ epoch.rs push: head.compare_exchange_weak(old, fresh,
      *  Release ("epoch.push.cas"), Relaxed) */
     atomic {
       if
       :: head == old -> head = a; owner[b] = IN_LIST; held--; ok = true;
            printf("MSG: proc %d gives back buffer %d\n", _pid, b)
       :: else -> old = head; ok = false
       fi
     };
     if
     :: ok -> break
     :: else -> skip
     fi
  od
}

/* FreeList::pop; result in got (NIL = None). */
inline pop() {
  /*@ epoch.rs pop: self.epochs.pin() (crossbeam: local epoch := global, SeqCst fence) */
  d_step { pinned[me] = true; lepoch[me] = gepoch };
  if
  :: collect()              /* crossbeam pin() may run collect() */
  :: skip
  fi;
  do
  :: /*@ epoch.rs pop: self.head.load(Acquire ("epoch.pop.load")) */
     atomic { top = head; tg = (top == NIL -> 0 : gen[top]) };
     if
     :: top == NIL -> got = NIL; break
     :: else -> skip
     fi;
     /*@ epoch.rs pop: node::with(top, |n| n.next.load(Relaxed)) */
     assert(READ_OK(top, tg));                 /* no freed node is read */
     nx = nnext[top];
     /*@ epoch.rs pop: head.compare_exchange_weak(top, next, Relaxed, Relaxed) */
     atomic {
       if
       :: head == top -> head = nx; ok = true
       :: else -> ok = false
       fi
     };
     if
     :: ok ->
        /*@ epoch.rs pop: node::with(top, |n| ManuallyDrop::take(value)) */
        assert(READ_OK(top, tg));              /* no freed node is read */
        got = nval[top];
        hand_out(me, got); held++;
        /*@ epoch.rs pop: guard.defer_unchecked(free(top)) (retire) */
        d_step { nstate[top] = RETIRED; retired_at[top] = gepoch };
        break
     :: else -> skip
     fi
  od;
  /*@ epoch.rs pop: drop(guard) (unpin) */
  pinned[me] = false
}

proctype Thread(byte me) {
  byte a, old, top, tg, nx, got, b, held, i, k;
  bool ok;
  do
  :: i < OPS ->
     if
     :: pop()
     :: held > 0 -> pick_held(me, b); push(b)
     fi;
     i++
  :: else -> break
  od;
  do
  :: held > 0 -> pick_held(me, b); push(b)
  :: else -> break
  od;
  ndone++
}

/* Quiescence: every buffer on the list exactly once, list ends in NIL, and
 * every node on it is live (not retired or freed). */
active proctype Quiescence() {
  byte cur, n;
  bool seen[MAXB];
  ndone == NT ->
  d_step {
    cur = head;
    do
    :: cur == NIL -> break
    :: else ->
       assert(n < NB && nstate[cur] == LIVE && !seen[nval[cur]] && owner[nval[cur]] == IN_LIST);
       seen[nval[cur]] = true; n++; cur = nnext[cur]
    od;
    assert(n == NB)
  }
}

init {
  byte k;
  atomic {
    k = 0;
    do
    :: k < NB -> nstate[k] = LIVE; nval[k] = k; nnext[k] = k + 1; k++
    :: else -> break
    od;
    nnext[NB - 1] = NIL;
    head = 0;
    k = 0;
    do
    :: k < NT -> run Thread(k); k++
    :: else -> break
    od
  }
}
