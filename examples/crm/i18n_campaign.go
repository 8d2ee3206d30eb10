package main

// campaignMessages are the texts of collection campaigns (campaign.go),
// Spanish first; init adds them to messages.
// TestCampaignMessagesDoNotCollide checks no key is taken.
var campaignMessages = map[string][2]string{
	"campaign":                {"Campaña", "Campaign"},
	"campaign_hint":           {"Cartera de cobro del caso, p. ej. «Mora 30». Las llamadas marcadas desde el CRM la llevan. Vacío: ninguna.", "The case's collection portfolio, e.g. “Mora 30”. Calls dialled from the CRM carry it. Empty: none."},
	"campaign_saved":          {"Campaña guardada.", "Campaign saved."},
	"no_campaign":             {"Sin campaña", "No campaign"},
	"err_bad_campaign":        {"Nombre de campaña inválido: hasta 40 letras, números, espacios y . - _ / # (sin empezar con -).", "Invalid campaign name: up to 40 letters, digits, spaces and . - _ / # (not starting with -)."},
	"board_campaign_costs":    {"Costo por campaña", "Cost per campaign"},
	"board_costs_since":       {"Llamadas desde el %s. Solo las marcadas desde el CRM llevan campaña.", "Calls since %s. Only calls dialled from the CRM carry a campaign."},
	"board_no_campaign_costs": {"Todavía no hay llamadas con campaña.", "No calls with a campaign yet."},
	"board_top_cases":         {"Casos con mayor costo", "Cases that cost the most"},
	"export_campaign_costs":   {"Costo por campaña (CSV)", "Cost per campaign (CSV)"},
}

func init() {
	for k, v := range campaignMessages {
		if _, ok := messages[k]; !ok {
			messages[k] = v
		}
	}
}
