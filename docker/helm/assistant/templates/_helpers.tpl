{{/* Names and labels. */}}
{{- define "assistant.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "assistant.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "assistant.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "assistant.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: include "assistant.selector" (list . "web") */}}
{{- define "assistant.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "assistant.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "assistant.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "assistant.secretName" -}}
{{- required "secrets.existingSecret: name the Secret holding DJANGO_SECRET_KEY and INFERENCE_API_KEY" .Values.secrets.existingSecret }}
{{- end }}

{{/* Where the model is reached (INFERENCE_URL). */}}
{{- define "assistant.inferenceUrl" -}}
{{- $kind := .Values.model.kind -}}
{{- if eq $kind "bundled" -}}
http://{{ include "assistant.fullname" . }}-model:{{ .Values.model.bundled.port }}
{{- else if eq $kind "vllm" -}}
http://{{ include "assistant.fullname" . }}-model:{{ .Values.model.vllm.port }}
{{- else if eq $kind "external" -}}
{{ required "model.external.url is required with model.kind=external" .Values.model.external.url }}
{{- else -}}
{{ fail (printf "model.kind must be bundled, vllm or external, not %q" $kind) }}
{{- end -}}
{{- end }}

{{- define "assistant.modelPort" -}}
{{- if eq .Values.model.kind "vllm" }}{{ .Values.model.vllm.port }}{{ else }}{{ .Values.model.bundled.port }}{{ end }}
{{- end }}

{{- define "assistant.inferenceModel" -}}
{{- if .Values.model.name }}{{ .Values.model.name }}
{{- else if eq .Values.model.kind "vllm" }}{{ .Values.model.vllm.servedModelName }}
{{- end }}
{{- end }}

{{/*
The environment of every process that runs the product's code (web, workers, beat, migrations).
Each secret is a secretKeyRef to an existing Secret; none is ever a value of the chart.
*/}}
{{- define "assistant.env" -}}
{{- $secret := include "assistant.secretName" . -}}
{{- $forbidden := list "DJANGO_SECRET_KEY" "INFERENCE_API_KEY" "DATABASE_URL" "REDIS_URL" "SLACK_SIGNING_SECRET" "SLACK_BOT_TOKEN" "OIDC_CLIENT_SECRET" "SCIM_TOKEN" -}}
- name: ASSISTANT_ENV
  value: production
- name: DJANGO_SECRET_KEY
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: DJANGO_SECRET_KEY }
- name: DJANGO_ALLOWED_HOSTS
  value: {{ append .Values.config.allowedHosts "localhost" | join "," | quote }}
- name: DJANGO_CSRF_TRUSTED_ORIGINS
  value: {{ .Values.config.csrfTrustedOrigins | join "," | quote }}
- name: PUBLIC_BASE_URL
  value: {{ .Values.config.publicBaseUrl | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.postgresql.existingSecret | default $secret }}
      key: {{ .Values.postgresql.secretKey }}
{{- if .Values.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ .Values.redis.existingSecret }}, key: {{ .Values.redis.secretKey }} }
{{- else }}
{{- if regexMatch "://[^/]*@" .Values.redis.url }}
{{- fail "redis.url carries credentials: put it in a Secret and set redis.existingSecret" }}
{{- end }}
- name: REDIS_URL
  value: {{ required "redis.url or redis.existingSecret is required" .Values.redis.url | quote }}
{{- end }}
- name: INFERENCE_URL
  value: {{ include "assistant.inferenceUrl" . | quote }}
{{- with include "assistant.inferenceModel" . }}
- name: INFERENCE_MODEL
  value: {{ . | quote }}
{{- end }}
- name: INFERENCE_API_KEY
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: INFERENCE_API_KEY }
- name: INFERENCE_TIMEOUT
  value: {{ include "assistant.envValue" .Values.config.inferenceTimeout }}
- name: ASSISTANT_MAX_UPLOAD_BYTES
  value: {{ include "assistant.envValue" .Values.config.maxUploadBytes }}
- name: ASSISTANT_MEDIA_ROOT
  value: /data/media
- name: FORWARDED_ALLOW_IPS
  value: {{ .Values.config.forwardedAllowIps | quote }}
- name: SLACK_ENABLED
  value: {{ ternary "1" "0" .Values.slack.enabled | quote }}
{{- if .Values.slack.enabled }}
- name: SLACK_SIGNING_SECRET
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: SLACK_SIGNING_SECRET }
- name: SLACK_BOT_TOKEN
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: SLACK_BOT_TOKEN }
- name: SLACK_CHANNEL_SCOPE
  value: {{ .Values.slack.channelScope | quote }}
{{- end }}
{{- if .Values.oidc.issuer }}
- name: OIDC_ISSUER
  value: {{ .Values.oidc.issuer | quote }}
- name: OIDC_CLIENT_ID
  value: {{ required "oidc.clientId is required with oidc.issuer" .Values.oidc.clientId | quote }}
- name: OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: OIDC_CLIENT_SECRET }
- name: OIDC_GROUPS_CLAIM
  value: {{ .Values.oidc.groupsClaim | quote }}
{{- with .Values.oidc.groupMap }}
- name: OIDC_GROUP_MAP
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if .Values.scim.enabled }}
- name: SCIM_TOKEN
  valueFrom:
    secretKeyRef: { name: {{ $secret }}, key: SCIM_TOKEN }
{{- end }}
{{- include "assistant.runtimeEnv" . | nindent 0 }}
{{- range $name, $value := .Values.config.env }}
{{- if has $name $forbidden }}
{{- fail (printf "config.env.%s is a secret: put it in a Secret, never in values" $name) }}
{{- end }}
- name: {{ $name }}
  value: {{ include "assistant.envValue" $value }}
{{- end }}
{{- end }}

{{/* A value as an environment string; whole numbers stay whole (values arrive as float64). */}}
{{- define "assistant.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{ int64 . | quote }}
{{- else -}}
{{ . | quote }}
{{- end -}}
{{- end }}

{{/* Writable places under a read-only root: caches and home on the /tmp emptyDir. */}}
{{- define "assistant.runtimeEnv" -}}
- name: HOME
  value: /tmp
- name: XDG_CACHE_HOME
  value: /tmp/.cache
{{- end }}

{{- define "assistant.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "assistant.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end }}

{{- define "assistant.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "assistant.documentsClaim" -}}
{{- .Values.documents.existingClaim | default (printf "%s-documents" (include "assistant.fullname" .)) }}
{{- end }}

{{/* Scheduling shared by the product's pods. */}}
{{- define "assistant.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* NetworkPolicy peers of PostgreSQL or Redis: a pod selector in the cluster, or address blocks. */}}
{{- define "assistant.externalPeers" -}}
{{- if .podSelector }}
- podSelector:
    {{- toYaml .podSelector | nindent 4 }}
  {{- with .namespaceSelector }}
  namespaceSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- else }}
{{- range .cidrs }}
- ipBlock:
    cidr: {{ . }}
{{- end }}
{{- end }}
{{- end }}
