"""The `event_store.client.gossip.Gossip` service: a cluster of one alive leader.

`esdb+discover://` clients read gossip first and pick a member by node preference; with a single
member they stay on the connection they already have.
"""
from __future__ import annotations

import grpc
from esdbclient.protos.Grpc import gossip_pb2, gossip_pb2_grpc, shared_pb2

from eventlog.server.records import now_ticks


class GossipService(gossip_pb2_grpc.GossipServicer):
    """Answers Gossip.Read with this node as the only (leader) member."""

    def __init__(self, *, instance_id: str, advertise_host: str, port: int) -> None:
        self._instance_id = instance_id
        self._endpoint = gossip_pb2.EndPoint(address=advertise_host, port=port)

    async def Read(self, request: shared_pb2.Empty,  # noqa: N802
                   context: grpc.aio.ServicerContext[shared_pb2.Empty, gossip_pb2.ClusterInfo],
                  ) -> gossip_pb2.ClusterInfo:
        """The cluster as EventStoreDB's gossip reports it."""
        member = gossip_pb2.MemberInfo(
            instance_id=shared_pb2.UUID(string=self._instance_id),
            time_stamp=now_ticks(),
            state=gossip_pb2.MemberInfo.VNodeState.Leader,
            is_alive=True,
            http_end_point=self._endpoint,
        )
        return gossip_pb2.ClusterInfo(members=[member])
