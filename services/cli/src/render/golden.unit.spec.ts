// Golden tests: fixed pods, nodes and events, a fixed NOW, and kubectl's exact layout.
import { describe, expect, it } from 'vitest';
import { describeNode } from './describe-node.ts';
import { describePod } from './describe-pod.ts';
import { describeReplicaSet } from './describe-replica-set.ts';
import { eventTable, nodeTable, podTable, renderTable, replicaSetTable } from './get-table.ts';
import {
  NOW,
  completedPod,
  crashingPod,
  creatingPod,
  frontendReplicaSet,
  initErrorPod,
  initPod,
  node1,
  node2,
  pendingPod,
  replicaSetEvents,
  runningPod,
  scalingReplicaSet,
  sidecarPod,
  terminatingPod,
  webEvents,
} from './test-fixtures.ts';

const pods = [runningPod, initPod, crashingPod, completedPod, sidecarPod, terminatingPod, pendingPod, initErrorPod, creatingPod];

describe('get tables', () => {
  it("pods", () => {
    expect(renderTable(podTable(pods, { now: NOW }))).toBe([
      "NAME           READY   STATUS              RESTARTS      AGE",
      "web            1/1     Running             0             5m10s",
      "migrate        0/1     Init:1/2            0             40s",
      "crash          0/1     CrashLoopBackOff    4 (2m ago)    3h25m",
      "batch          0/1     Completed           0             3d5h",
      "with-sidecar   2/2     Running             1 (61s ago)   95s",
      "old            1/1     Terminating         0             120m",
      "queued         0/1     Pending             0             12s",
      "bad-init       0/1     Init:Error          0             10m",
      "starting       0/2     ContainerCreating   0             3s",
    ].join('\n') + '\n');
  });

  it("pods -A -o wide", () => {
    expect(renderTable(podTable(pods, { now: NOW, wide: true, allNamespaces: true }))).toBe([
      "NAMESPACE   NAME           READY   STATUS              RESTARTS      AGE     IP           NODE     NOMINATED NODE   READINESS GATES",
      "default     web            1/1     Running             0             5m10s   10.244.1.5   node-1   <none>           <none>",
      "default     migrate        0/1     Init:1/2            0             40s     10.244.2.7   node-2   <none>           <none>",
      "default     crash          0/1     CrashLoopBackOff    4 (2m ago)    3h25m   10.244.1.9   node-1   <none>           <none>",
      "default     batch          0/1     Completed           0             3d5h    <none>       node-2   <none>           <none>",
      "default     with-sidecar   2/2     Running             1 (61s ago)   95s     10.244.1.6   node-1   <none>           <none>",
      "default     old            1/1     Terminating         0             120m    <none>       node-2   <none>           <none>",
      "team-b      queued         0/1     Pending             0             12s     <none>       <none>   <none>           <none>",
      "default     bad-init       0/1     Init:Error          0             10m     <none>       node-2   <none>           <none>",
      "default     starting       0/2     ContainerCreating   0             3s      <none>       node-1   <none>           <none>",
    ].join('\n') + '\n');
  });

  it("nodes", () => {
    expect(renderTable(nodeTable([node1, node2], { now: NOW }))).toBe([
      "NAME     STATUS                        ROLES    AGE    VERSION",
      "node-1   Ready                         worker   2d3h   flotilla-0.1.0",
      "node-2   NotReady,SchedulingDisabled   <none>   45s    flotilla",
    ].join('\n') + '\n');
  });

  it("nodes -o wide --show-labels", () => {
    expect(renderTable(nodeTable([node1, node2], { now: NOW, wide: true, showLabels: true }))).toBe([
      "NAME     STATUS                        ROLES    AGE    VERSION          INTERNAL-IP   EXTERNAL-IP   OS-IMAGE       KERNEL-VERSION   CONTAINER-RUNTIME   LABELS",
      "node-1   Ready                         worker   2d3h   flotilla-0.1.0   10.0.0.11     <none>        Flotilla sim   6.1.0            sim://1             kubernetes.io/hostname=node-1,node-role.kubernetes.io/worker=,zone=a",
      "node-2   NotReady,SchedulingDisabled   <none>   45s    flotilla         <none>        <none>        <unknown>      <unknown>        <unknown>           <none>",
    ].join('\n') + '\n');
  });

  it("events", () => {
    expect(renderTable(eventTable(webEvents, { now: NOW }))).toBe([
      "LAST SEEN   TYPE      REASON      OBJECT      MESSAGE",
      "5m5s        Normal    Scheduled   pod/web     Successfully assigned default/web to node-1",
      "5m          Normal    Started     pod/web     Started container nginx",
      "20s         Warning   BackOff     pod/crash   Back-off restarting failed container worker in pod crash",
    ].join('\n') + '\n');
  });

  it("events -A -o wide", () => {
    expect(renderTable(eventTable(webEvents, { now: NOW, wide: true, allNamespaces: true }))).toBe([
      "NAMESPACE   LAST SEEN   TYPE      REASON      OBJECT      SUBOBJECT                SOURCE               MESSAGE                                                    FIRST SEEN   COUNT   NAME",
      "default     5m5s        Normal    Scheduled   pod/web                              default-scheduler    Successfully assigned default/web to node-1                5m5s         1       web.1",
      "default     5m          Normal    Started     pod/web     spec.containers{nginx}   node-agent, node-1   Started container nginx                                    5m           1       web.2",
      "default     20s         Warning   BackOff     pod/crash                            node-agent, node-1   Back-off restarting failed container worker in pod crash   50m          17      crash.1",
    ].join('\n') + '\n');
  });
});

describe('describe', () => {
  it("a running pod with resources, ports, env, mounts, volumes, tolerations and events", () => {
    expect(describePod(runningPod, webEvents.slice(0, 2), { now: NOW })).toBe([
      "Name:         web",
      "Namespace:    default",
      "Priority:     0",
      "Node:         node-1/10.0.0.11",
      "Start Time:   Wed, 01 May 2024 11:54:55 +0000",
      "Labels:       app=web",
      "              tier=frontend",
      "Annotations:  flotilla.dev/owner: team-a",
      "Status:       Running",
      "IP:           10.244.1.5",
      "IPs:",
      "  IP:  10.244.1.5",
      "Containers:",
      "  nginx:",
      "    Container ID:   flotilla://web-nginx",
      "    Image:          nginx:1.25",
      "    Image ID:       ",
      "    Port:           80/TCP (http)",
      "    Host Port:      0/TCP (http)",
      "    State:          Running",
      "      Started:      Wed, 01 May 2024 11:55:00 +0000",
      "    Ready:          True",
      "    Restart Count:  0",
      "    Limits:",
      "      cpu:     500m",
      "      memory:  128Mi",
      "    Requests:",
      "      cpu:     100m",
      "      memory:  64Mi",
      "    Environment:",
      "      MODE:  production",
      "    Mounts:",
      "      /usr/share/nginx/html from html (ro)",
      "Conditions:",
      "  Type                        Status",
      "  PodReadyToStartContainers   True ",
      "  Initialized                 True ",
      "  Ready                       True ",
      "  ContainersReady             True ",
      "  PodScheduled                True ",
      "Volumes:",
      "  html:",
      "    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)",
      "    Medium:      ",
      "    SizeLimit:   <unset>",
      "QoS Class:       Burstable",
      "Node-Selectors:  <none>",
      "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
      "Events:",
      "  Type    Reason     Age   From               Message",
      "  ----    ------     ----  ----               -------",
      "  Normal  Scheduled  5m5s  default-scheduler  Successfully assigned default/web to node-1",
      "  Normal  Started    5m    node-agent         Started container nginx",
    ].join('\n') + '\n');
  });

  it("a pod in its init containers, with no events", () => {
    expect(describePod(initPod, [], { now: NOW })).toBe([
      "Name:         migrate",
      "Namespace:    default",
      "Node:         node-2/10.0.0.12",
      "Start Time:   Wed, 01 May 2024 11:59:22 +0000",
      "Labels:       <none>",
      "Annotations:  <none>",
      "Status:       Pending",
      "IP:           10.244.2.7",
      "IPs:",
      "  IP:  10.244.2.7",
      "Init Containers:",
      "  init-db:",
      "    Container ID:  ",
      "    Image:         busybox",
      "    Image ID:      ",
      "    Port:          <none>",
      "    Host Port:     <none>",
      "    Command:",
      "      sh",
      "      -c",
      "      echo migrating",
      "    State:          Terminated",
      "      Reason:       Completed",
      "      Exit Code:    0",
      "      Started:      Wed, 01 May 2024 11:59:24 +0000",
      "      Finished:     Wed, 01 May 2024 11:59:30 +0000",
      "    Ready:          False",
      "    Restart Count:  0",
      "    Environment:    <none>",
      "    Mounts:         <none>",
      "  init-cache:",
      "    Container ID:   ",
      "    Image:          busybox",
      "    Image ID:       ",
      "    Port:           <none>",
      "    Host Port:      <none>",
      "    State:          Running",
      "      Started:      Wed, 01 May 2024 11:59:31 +0000",
      "    Ready:          False",
      "    Restart Count:  0",
      "    Environment:    <none>",
      "    Mounts:         <none>",
      "Containers:",
      "  app:",
      "    Container ID:   ",
      "    Image:          app:2",
      "    Image ID:       ",
      "    Port:           <none>",
      "    Host Port:      <none>",
      "    State:          Waiting",
      "      Reason:       PodInitializing",
      "    Ready:          False",
      "    Restart Count:  0",
      "    Environment:    <none>",
      "    Mounts:         <none>",
      "Conditions:",
      "  Type           Status",
      "  Initialized    False ",
      "  Ready          False ",
      "  PodScheduled   True ",
      "Volumes:         <none>",
      "QoS Class:       BestEffort",
      "Node-Selectors:  <none>",
      "Tolerations:     <none>",
      "Events:          <none>",
    ].join('\n') + '\n');
  });

  it("a crash-looping pod with its last state and a repeated event", () => {
    expect(describePod(crashingPod, [webEvents[2]!], { now: NOW })).toBe([
      "Name:         crash",
      "Namespace:    default",
      "Node:         node-1/10.0.0.11",
      "Labels:       <none>",
      "Annotations:  <none>",
      "Status:       Running",
      "IP:           10.244.1.9",
      "IPs:",
      "  IP:  10.244.1.9",
      "Containers:",
      "  worker:",
      "    Container ID:  ",
      "    Image:         worker:1",
      "    Image ID:      ",
      "    Port:          <none>",
      "    Host Port:     <none>",
      "    Args:",
      "      --fail",
      "    State:          Waiting",
      "      Reason:       CrashLoopBackOff",
      "    Last State:     Terminated",
      "      Reason:       Error",
      "      Exit Code:    1",
      "      Started:      Wed, 01 May 2024 11:57:55 +0000",
      "      Finished:     Wed, 01 May 2024 11:58:00 +0000",
      "    Ready:          False",
      "    Restart Count:  4",
      "    Environment:    <none>",
      "    Mounts:         <none>",
      "Conditions:",
      "  Type           Status",
      "  Initialized    True ",
      "  Ready          False ",
      "  PodScheduled   True ",
      "Volumes:         <none>",
      "QoS Class:       BestEffort",
      "Node-Selectors:  <none>",
      "Tolerations:     <none>",
      "Events:",
      "  Type     Reason   Age                 From        Message",
      "  ----     ------   ----                ----        -------",
      "  Warning  BackOff  20s (x17 over 50m)  node-agent  Back-off restarting failed container worker in pod crash",
    ].join('\n') + '\n');
  });

  it("a terminating pod", () => {
    expect(describePod(terminatingPod, [], { now: NOW })).toBe([
      "Name:                      old",
      "Namespace:                 default",
      "Node:                      node-2/",
      "Labels:                    <none>",
      "Annotations:               <none>",
      "Status:                    Terminating (lasts 25s)",
      "Termination Grace Period:  30s",
      "IP:                        ",
      "IPs:                       <none>",
      "Containers:",
      "  c:",
      "    Container ID:   ",
      "    Image:          busybox",
      "    Image ID:       ",
      "    Port:           <none>",
      "    Host Port:      <none>",
      "    State:          Running",
      "      Started:      Wed, 01 May 2024 10:01:40 +0000",
      "    Ready:          True",
      "    Restart Count:  0",
      "    Environment:    <none>",
      "    Mounts:         <none>",
      "Conditions:",
      "  Type           Status",
      "  Ready          True ",
      "Volumes:         <none>",
      "QoS Class:       BestEffort",
      "Node-Selectors:  <none>",
      "Tolerations:     <none>",
      "Events:          <none>",
    ].join('\n') + '\n');
  });

  it("a node with roles, taints, conditions, addresses, system info and pods", () => {
    expect(describeNode(node1, [runningPod, crashingPod, sidecarPod], [], { now: NOW })).toBe([
      "Name:               node-1",
      "Roles:              worker",
      "Labels:             kubernetes.io/hostname=node-1",
      "                    node-role.kubernetes.io/worker=",
      "                    zone=a",
      "Annotations:        <none>",
      "CreationTimestamp:  Mon, 29 Apr 2024 09:00:00 +0000",
      "Taints:             gpu=true:NoSchedule",
      "Unschedulable:      false",
      "Conditions:",
      "  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason         Message",
      "  ----    ------  -----------------                 ------------------                ------         -------",
      "  Ready   True    Wed, 01 May 2024 11:59:50 +0000   Mon, 29 Apr 2024 12:00:00 +0000   KubeletReady   node agent is posting ready status",
      "Addresses:",
      "  InternalIP:  10.0.0.11",
      "  Hostname:    node-1",
      "Capacity:",
      "  cpu:     4",
      "  memory:  8Gi",
      "  pods:    110",
      "Allocatable:",
      "  cpu:              4",
      "  example.com/gpu:  2",
      "  memory:           8Gi",
      "  pods:             110",
      "System Info:",
      "  Machine ID:                 ",
      "  System UUID:                ",
      "  Boot ID:                    ",
      "  Kernel Version:             6.1.0",
      "  OS Image:                   Flotilla sim",
      "  Operating System:           ",
      "  Architecture:               ",
      "  Container Runtime Version:  sim://1",
      "  Kubelet Version:            flotilla-0.1.0",
      "PodCIDR:                      10.244.1.0/24",
      "Non-terminated Pods:          (3 in total)",
      "  Namespace                   Name            CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age",
      "  ---------                   ----            ------------  ----------  ---------------  -------------  ---",
      "  default                     web             100m (2%)     500m (12%)  64Mi (0%)        128Mi (1%)     5m10s",
      "  default                     crash           0 (0%)        0 (0%)      0 (0%)           0 (0%)         3h25m",
      "  default                     with-sidecar    0 (0%)        0 (0%)      0 (0%)           0 (0%)         95s",
      "Allocated resources:",
      "  (Total limits may be over 100 percent, i.e., overcommitted.)",
      "  Resource           Requests   Limits",
      "  --------           --------   ------",
      "  cpu                100m (2%)  500m (12%)",
      "  memory             64Mi (0%)  128Mi (1%)",
      "  ephemeral-storage  0 (0%)     0 (0%)",
      "  example.com/gpu    0          0",
      "Events:              <none>",
    ].join('\n') + '\n');
  });

  it("a cordoned, not-ready node without pods (events not fetched)", () => {
    expect(describeNode(node2, [], undefined, { now: NOW })).toBe([
      "Name:               node-2",
      "Roles:              <none>",
      "Labels:             <none>",
      "Annotations:        <none>",
      "CreationTimestamp:  Wed, 01 May 2024 11:59:15 +0000",
      "Taints:             <none>",
      "Unschedulable:      true",
      "Conditions:",
      "  Type    Status  LastHeartbeatTime  LastTransitionTime  Reason         Message",
      "  ----    ------  -----------------  ------------------  ------         -------",
      "  Ready   False   <unknown>          <unknown>           LeaseExpired   ",
      "Addresses:",
      "Capacity:",
      "  cpu:     2",
      "  memory:  4Gi",
      "Allocatable:",
      "  cpu:                2",
      "  memory:             4Gi",
      "Non-terminated Pods:  (0 in total)",
      "  Namespace           Name    CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age",
      "  ---------           ----    ------------  ----------  ---------------  -------------  ---",
      "Allocated resources:",
      "  (Total limits may be over 100 percent, i.e., overcommitted.)",
      "  Resource           Requests  Limits",
      "  --------           --------  ------",
      "  cpu                0 (0%)    0 (0%)",
      "  memory             0 (0%)    0 (0%)",
      "  ephemeral-storage  0 (0%)    0 (0%)",
    ].join('\n') + '\n');
  });
});

describe('replicasets', () => {
  const replicaSets = [frontendReplicaSet, scalingReplicaSet];

  it('get rs', () => {
    expect(renderTable(replicaSetTable(replicaSets, { now: NOW }))).toBe([
      "NAME       DESIRED   CURRENT   READY   AGE",
      "frontend   3         3         2       13s",
      "web        10        4         1       3h",
    ].join('\n') + '\n');
  });

  it('get rs -A -o wide', () => {
    expect(renderTable(replicaSetTable(replicaSets, { now: NOW, wide: true, allNamespaces: true }))).toBe([
      "NAMESPACE   NAME       DESIRED   CURRENT   READY   AGE   CONTAINERS      IMAGES                        SELECTOR",
      "default     frontend   3         3         2       13s   php-redis,log   gb-frontend:v5,busybox:1.36   env in (canary,prod),tier=frontend",
      "team-b      web        10        4         1       3h    nginx           nginx:1.25                    app=web",
    ].join('\n') + '\n');
  });

  it('describe rs: replicas, pods status, the pod template and events', () => {
    expect(describeReplicaSet(frontendReplicaSet, { running: 2, waiting: 1, succeeded: 0, failed: 0 }, replicaSetEvents, { now: NOW })).toBe([
      "Name:         frontend",
      "Namespace:    default",
      "Selector:     env in (canary,prod),tier=frontend",
      "Labels:       app=guestbook",
      "              tier=frontend",
      "Annotations:  <none>",
      "Replicas:     3 current / 3 desired",
      "Pods Status:  2 Running / 1 Waiting / 0 Succeeded / 0 Failed",
      "Pod Template:",
      "  Labels:  env=prod",
      "           tier=frontend",
      "  Containers:",
      "   php-redis:",
      "    Image:        gb-frontend:v5",
      "    Port:         <none>",
      "    Host Port:    <none>",
      "    Environment:  <none>",
      "    Mounts:       <none>",
      "   log:",
      "    Image:      busybox:1.36",
      "    Port:       <none>",
      "    Host Port:  <none>",
      "    Command:",
      "      sh",
      "      -c",
      "      tail -f /var/log/app.log",
      "    Environment:   <none>",
      "    Mounts:        <none>",
      "  Volumes:         <none>",
      "  Node-Selectors:  <none>",
      "  Tolerations:     <none>",
      "Events:",
      "  Type    Reason            Age   From                   Message",
      "  ----    ------            ----  ----                   -------",
      "  Normal  SuccessfulCreate  13s   replicaset-controller  Created pod: frontend-gbgfx",
    ].join('\n') + '\n');
  });

  it('describe rs: volumes, node selector and tolerations of the template; pods that could not be read', () => {
    expect(describeReplicaSet(scalingReplicaSet, { error: 'the server is unreachable' }, [], { now: NOW })).toBe([
      "Name:         web",
      "Namespace:    team-b",
      "Selector:     app=web",
      "Labels:       <none>",
      "Annotations:  <none>",
      "Replicas:     4 current / 10 desired",
      "Pods Status:  error in fetching pods: the server is unreachable",
      "Pod Template:",
      "  Labels:  app=web",
      "  Containers:",
      "   nginx:",
      "    Image:        nginx:1.25",
      "    Port:         80/TCP",
      "    Host Port:    0/TCP",
      "    Environment:  <none>",
      "    Mounts:",
      "      /html from html (rw)",
      "  Volumes:",
      "   html:",
      "    Type:          EmptyDir (a temporary directory that shares a pod's lifetime)",
      "    Medium:        ",
      "    SizeLimit:     <unset>",
      "  Node-Selectors:  zone=a",
      "  Tolerations:     node.kubernetes.io/unreachable:NoExecute op=Exists for 60s",
      "Events:            <none>",
    ].join('\n') + '\n');
  });
});
