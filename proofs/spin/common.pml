/* common.pml — shared helpers for the free-list models.
 *
 * Buffers are 0 .. NB-1. The ghost array owner[b] says where buffer b is:
 * IN_LIST (on the free list) or t+1 (handed out to thread t). It is never
 * read by the algorithm, only by assertions.
 *
 * Each thread runs OPS operations; each is chosen nondeterministically:
 * pop a buffer (hand-out), or push back one it holds (in any order, so the
 * checker sees every pattern an application could produce). After OPS
 * operations the thread pushes back everything it still holds, then counts
 * itself done. A monitor checks the free list once every thread is done.
 */
#ifndef NT
#define NT 2
#endif
#ifndef NB
#define NB 3
#endif
#ifndef OPS
#define OPS 3
#endif

#define MAXB     4          /* arrays are sized for at most 4 buffers */
#define IN_LIST  0

byte owner[MAXB];           /* ghost: IN_LIST or holder thread + 1 */
byte ndone;                 /* ghost: threads that have finished */

/* Choose (nondeterministically) one buffer this thread holds; blocks if none,
 * so callers guard it with held > 0. */
inline pick_held(me, b) {
  if
  :: owner[0] == me + 1 -> b = 0
  :: NB > 1 && owner[1] == me + 1 -> b = 1
  :: NB > 2 && owner[2] == me + 1 -> b = 2
  :: NB > 3 && owner[3] == me + 1 -> b = 3
  fi
}

/* Property "a buffer is never handed out twice": the buffer a pop returns
 * must be on the free list at that moment (not held by any thread). */
inline hand_out(me, b) {
  /*@ (ghost) pop returns a buffer: it must be on the list, not held */
  printf("MSG: proc %d takes buffer %d\n", _pid, b);
  assert(owner[b] == IN_LIST);
  owner[b] = me + 1
}
