/** Message templates: LiquidJS parts per channel, validated at save, rendered per person (千人千面). */
export { TemplateData, TemplateInput, TemplateView, type TemplateBody } from './schema.js';
export { renderTemplate, validateTemplate, type Rendered } from './render.js';
export { smsLength, isGsm7, type SmsLength, type SmsCountingRule } from './sms-length.js';
export { createTemplate, getTemplate, listTemplates, loadProfileForTemplate, previewTemplate, renderForProfile, testSendTemplate } from './service.js';
export { registerTemplateRoutes } from './routes.js';
export { getTemplates, loadProfilesForTemplate, templateDataOf, type BatchProfile } from './batch.js';
