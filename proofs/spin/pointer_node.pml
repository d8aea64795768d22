/* pointer_node.pml — PointerNodeStack (src/stack/pointer_node.rs): a Box
 * node per push; pop loads the head, reads (*head).next, CASes the head to
 * it and frees the node at once.
 *   default        pops go through the single-popper lock (FreeList::pop ->
 *                  popper() / Popper::pop / Popper::drop): must pass
 *   -DSHARED       every thread calls pop_shared with no lock (the seed's
 *                  bug): must fail with a use-after-free
 *   -DSHARED -DNO_UAF_CHECK
 *                  same, but reading freed memory is not flagged (as on a
 *                  real allocator, which reuses the address): must fail with
 *                  the ABA double hand-out
 * Memory: nodes live at addresses 0 .. NADDR-1; alloc takes the lowest
 * address not in use (so freed addresses are reused, as malloc does). A
 * node's identity is (address, gen): free bumps gen, so a thread that loaded
 * a pointer and reads through it after a free is caught even if the address
 * was reused ("no freed node is read").
 */
#include "common.pml"

#define NADDR (NB + 2)      /* live nodes <= NB + in-flight pushes */
#define NIL   255

byte head = NIL;            /* PointerNodeStack::head: AtomicPtr<Node<T>> */
bool popping;               /* PointerNodeStack::popping: AtomicBool      */
byte nval[NADDR];           /* Node::value (a buffer index)               */
byte nnext[NADDR];          /* Node::next: AtomicPtr                      */
bool live[NADDR];           /* allocator state                            */
byte gen[NADDR];            /* ghost: frees of this address so far        */

#ifdef NO_UAF_CHECK
#define READ_OK(a, g) true
#else
#define READ_OK(a, g) (live[a] && gen[a] == g)
#endif

/* FreeList::push(value=b) */
inline push(b) {
  /*@ pointer_node.rs push: node::alloc(Node { value, next: null }) */
  atomic {
    a = 0;
    do
    :: a < NADDR && live[a] -> a++
    :: else -> break
    od;
    assert(a < NADDR);
    live[a] = true; nval[a] = b; nnext[a] = NIL
  };
  /*@ pointer_node.rs push: self.head.load(Relaxed) */
  old = head;
  do
  :: /*@ pointer_node.rs push: n.next.store(old, Relaxed) */
     nnext[a] = old;
     /*@ pointer_node.rs push: head.compare_exchange_weak(old, fresh,
      *  Release ("pointer_node.push.cas"), Relaxed) */
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

/* PointerNodeStack::pop_shared -> Option<T>; result in got (NIL = None). */
inline pop_shared() {
  do
  :: /*@ pointer_node.rs pop_shared: self.head.load(Acquire ("pointer_node.pop.load")) */
     atomic { top = head; tg = (top == NIL -> 0 : gen[top]) };
     if
     :: top == NIL -> got = NIL; break
     :: else -> skip
     fi;
     /*@ pointer_node.rs pop_shared: node::with(top, |n| n.next.load(Relaxed)) */
     assert(READ_OK(top, tg));                 /* no freed node is read */
     nx = nnext[top];
     /*@ pointer_node.rs pop_shared: head.compare_exchange_weak(top, next,
      *  Relaxed, Relaxed) */
     atomic {
       if
       :: head == top -> head = nx; ok = true
       :: else -> ok = false
       fi
     };
     if
     :: ok ->
        /*@ pointer_node.rs pop_shared: node::with(top, |n| ptr::read(&n.value)) */
        assert(READ_OK(top, tg));              /* no freed node is read */
        got = nval[top];
        hand_out(me, got); held++;
        /*@ pointer_node.rs pop_shared: node::free(top) */
        atomic { live[top] = false; gen[top]++ };
        break
     :: else -> skip
     fi
  od
}

/* FreeList::pop: wait for the popper right, pop, release it. */
inline pop() {
#ifndef SHARED
  /*@ pointer_node.rs popper: popping.swap(true, Acquire ("pointer_node.popper.acquire"));
   *  FreeList::pop retries while it returns true */
  atomic { !popping -> popping = true };
#endif
  pop_shared();
#ifndef SHARED
  /*@ pointer_node.rs Popper::drop: popping.store(false, Release ("pointer_node.popper.release")) */
  popping = false
#endif
}

proctype Thread(byte me) {
  byte a, old, top, tg, nx, got, b, held, i;
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

/* Quiescence: every buffer on the list exactly once, the list ends in NIL,
 * and every allocated node is on the list (no node leaked). */
active proctype Quiescence() {
  byte cur, n, k, nlive;
  bool seen[MAXB];
  ndone == NT ->
  d_step {
    cur = head;
    do
    :: cur == NIL -> break
    :: else ->
       assert(n < NB && live[cur] && !seen[nval[cur]] && owner[nval[cur]] == IN_LIST);
       seen[nval[cur]] = true; n++; cur = nnext[cur]
    od;
    assert(n == NB);
    k = 0;
    do
    :: k < NADDR -> nlive = nlive + live[k]; k++
    :: else -> break
    od;
    assert(nlive == NB)
  }
}

init {
  byte k;
  atomic {
    k = 0;                       /* node k holds buffer k; 0 on top */
    do
    :: k < NB -> live[k] = true; nval[k] = k; nnext[k] = k + 1; k++
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
