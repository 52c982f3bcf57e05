import { podForCreate, withDefaultTolerations, type DefaultTolerationOptions, type Pod, type ReplicaSet } from '@flotilla/model';
import { replicaSetPodIdentity, replicaSetPodPrefix, type PodIdentity } from './pod-identity.ts';

export interface PodFromTemplateOptions extends DefaultTolerationOptions {
  /** The identity to use instead of the ordinal's first one (see replicaSetPodIdentity's `attempt`). */
  identity?: PodIdentity;
}

/**
 * The pod a ReplicaSet's controller creates for `ordinal` (see replicaSetPodIdentity): the template's
 * labels and annotations, `generateName: <rs>-`, a controller ownerReference, and what the API applies
 * to a created pod (podForCreate's defaults and priority, then DefaultTolerationSeconds with the given
 * seconds), since it does not pass through the API. `now` is the creation time (ISO-8601).
 */
export function podFromTemplate(rs: ReplicaSet, ordinal: number, now: string, options: PodFromTemplateOptions = {}): Pod {
  const identity = options.identity ?? replicaSetPodIdentity(rs, ordinal);
  const template = rs.spec.template;
  const templateMeta = template.metadata ?? {};
  const pod = podForCreate(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: identity.name,
        generateName: replicaSetPodPrefix(rs),
        namespace: rs.metadata.namespace,
        ...(templateMeta.labels ? { labels: { ...templateMeta.labels } } : {}),
        ...(templateMeta.annotations ? { annotations: { ...templateMeta.annotations } } : {}),
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: structuredClone(template.spec),
    },
    { uid: identity.uid, now, namespace: rs.metadata.namespace },
  );
  return { ...pod, spec: withDefaultTolerations(pod.spec, options) };
}
