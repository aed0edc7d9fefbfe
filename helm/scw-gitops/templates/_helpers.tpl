{{- define "scw-gitops.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scw-gitops.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scw-gitops.labels" -}}
{{ include "scw-gitops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "scw-gitops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "scw-gitops.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The image reference: pinned by digest when image.digest is set (the tag is then only a label).
*/}}
{{- define "scw-gitops.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
"true" when the daemon talks to the Kubernetes API with its service account: a Kubernetes sink,
a Vault sink logging in with the kubernetes method (it sends the service-account token), leader
election (a Lease), or Kubernetes Events. Empty otherwise: the token is then not mounted at all.
*/}}
{{- define "scw-gitops.usesKubernetesApi" -}}
{{- if .Values.leaderElection.enabled }}true{{ end -}}
{{- if .Values.notifications.kubernetesEvents.enabled }}true{{ end -}}
{{- range .Values.sinks -}}
{{- if eq .type "kubernetes" }}true{{ end -}}
{{- if eq .type "vault" }}{{ if .auth }}{{ if eq .auth.method "kubernetes" }}true{{ end }}{{ end }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* "true" when a sink writes Kubernetes Secrets (the Secret Role is needed). */}}
{{/*
A Kubernetes sink that removes the Secrets of deleted keys (sinks[].removeRecords, default true):
the Role then also grants `list` (finding them) and `delete` (removing them) on Secrets.
*/}}
{{- define "scw-gitops.removesKubernetesRecords" -}}
{{- range .Values.sinks -}}
{{- if and (eq .type "kubernetes") (ne (printf "%v" .removeRecords) "false") }}true{{ end -}}
{{- end -}}
{{- end -}}

{{- define "scw-gitops.hasKubernetesSink" -}}
{{- range .Values.sinks -}}
{{- if eq .type "kubernetes" }}true{{ end -}}
{{- end -}}
{{- end -}}
