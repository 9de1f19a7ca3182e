// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Steers a pod's outbound TCP connections to its node's ztunnel and answers the ztunnel's
 * getsockopt(SO_ORIGINAL_DST) with the destination the pod asked for (what an iptables
 * REDIRECT rule and conntrack do, without either). */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "redirect.h"

/* Not in linux/bpf.h; the values are the socket ABI's. */
#define AF_INET 2
#define SOCK_STREAM 1
#define SOL_IP 0
#define SO_ORIGINAL_DST 80

const volatile struct redirect_config config = {};

/* Socket cookie of the pod's socket -> original destination, from connect() until the
 * handshake completes; LRU so that a connect() that never completes cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct orig_dst);
} orig_by_cookie SEC(".maps");

/* 4-tuple -> original destination, for the ztunnel's accepted socket; LRU because nothing
 * tells the ztunnel side's program that a connection ended. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, struct orig_dst);
} orig_by_tuple SEC(".maps");

/* Attached to a pod's cgroup only, so the ztunnel's own sockets never pass here; the
 * destination checks keep a pod's loopback traffic and direct ztunnel calls untouched. */
SEC("cgroup/connect4")
int redirect_connect4(struct bpf_sock_addr *ctx)
{
	if (ctx->type != SOCK_STREAM)
		return 1;
	__u32 dst_ip = ctx->user_ip4;
	__u16 dst_port = (__u16)ctx->user_port;
	if ((bpf_ntohl(dst_ip) >> 24) == 127)
		return 1;
	if (dst_ip == config.proxy_ip4 && dst_port == config.proxy_port)
		return 1;
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct orig_dst orig = { .ip4 = dst_ip, .port = dst_port };
	/* Without a record the ztunnel could not route the connection: leave it alone. */
	if (bpf_map_update_elem(&orig_by_cookie, &cookie, &orig, BPF_ANY) != 0)
		return 1;
	ctx->user_ip4 = config.proxy_ip4;
	ctx->user_port = config.proxy_port;
	return 1;
}

/* The client's port is known only once the connection is up (connect() may bind it late),
 * so the 4-tuple record is made here; the ztunnel accepts only after the client's final
 * ACK, which this callback precedes. */
SEC("sockops")
int redirect_sockops(struct bpf_sock_ops *skops)
{
	if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB || skops->family != AF_INET)
		return 1;
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct orig_dst *orig = bpf_map_lookup_elem(&orig_by_cookie, &cookie);
	if (!orig)
		return 1;
	struct conn_key key = {
		.client_ip4 = skops->local_ip4,
		.proxy_ip4 = skops->remote_ip4,
		.client_port = (__u16)skops->local_port,
		.proxy_port = (__u16)bpf_ntohl(skops->remote_port),
	};
	struct orig_dst value = *orig;
	bpf_map_update_elem(&orig_by_tuple, &key, &value, BPF_ANY);
	bpf_map_delete_elem(&orig_by_cookie, &cookie);
	return 1;
}

/* Runs after the kernel's own getsockopt (which fails without conntrack) and replaces its
 * answer only for a connection this object redirected. */
SEC("cgroup/getsockopt")
int redirect_getsockopt(struct bpf_sockopt *ctx)
{
	if (ctx->level != SOL_IP || ctx->optname != SO_ORIGINAL_DST)
		return 1;
	struct bpf_sock *sk = ctx->sk;
	if (!sk || sk->family != AF_INET)
		return 1;
	struct conn_key key = {
		.client_ip4 = sk->dst_ip4,
		.proxy_ip4 = sk->src_ip4,
		.client_port = bpf_ntohs(sk->dst_port),
		.proxy_port = (__u16)sk->src_port,
	};
	struct orig_dst *orig = bpf_map_lookup_elem(&orig_by_tuple, &key);
	if (!orig)
		return 1;
	/* struct sockaddr_in, laid out by hand: family, port, address, 8 bytes of zero. */
	__u8 *out = ctx->optval;
	if (out + 16 > (__u8 *)ctx->optval_end)
		return 1;
	__u16 family = AF_INET;
	__builtin_memcpy(out, &family, 2);
	__builtin_memcpy(out + 2, &orig->port, 2);
	__builtin_memcpy(out + 4, &orig->ip4, 4);
	__builtin_memset(out + 8, 0, 8);
	ctx->optlen = 16;
	/* The barrier keeps clang from merging the two adjacent 4-byte stores into one 8-byte
	 * store, which the verifier rejects as an invalid context access. */
	asm volatile("" ::: "memory");
	ctx->retval = 0;
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
