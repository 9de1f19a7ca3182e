/* Structs the redirect programs (redirect.bpf.c) and their loader share: fixed-width types
 * only, addresses and ports in network byte order unless a field says otherwise. */
#ifndef MESHTWIN_BPF_REDIRECT_H
#define MESHTWIN_BPF_REDIRECT_H

#include <linux/types.h>

/* Read-only configuration, set by the loader between open and load: where the node's
 * ztunnel listens in redirect mode. */
struct redirect_config {
	__u32 proxy_ip4; /* network byte order */
	__u16 proxy_port; /* network byte order */
	__u16 pad;
};

/* The destination a pod's connect() asked for before it was rewritten. */
struct orig_dst {
	__u32 ip4; /* network byte order */
	__u16 port; /* network byte order */
	__u16 pad;
};

/* One redirected connection as both ends see it: the client's socket (sockops) and the
 * ztunnel's accepted socket (getsockopt) have different cookies but the same 4-tuple. */
struct conn_key {
	__u32 client_ip4; /* network byte order */
	__u32 proxy_ip4; /* network byte order */
	__u16 client_port; /* host byte order */
	__u16 proxy_port; /* host byte order */
};

#endif
